/* six-xferd export / import: the removable-media transfer (DESIGN.md "The diode
 * link", removable media; formats/media.md for the manifest on the medium).
 * The six-xferd main dispatches its "export" and "import" subcommands here; each
 * parses its own options, prints its own one-line errors and --help. */
#ifndef SIX_XFERD_MEDIA_H
#define SIX_XFERD_MEDIA_H

int xferd_export_main(int argc, char **argv);  /* argv[0] == "export"; returns the exit status */
int xferd_import_main(int argc, char **argv);  /* argv[0] == "import" */

#endif
