#include <stdio.h>

int main(void)
{
	fputs("six-pack: not built yet\n", stderr);
	return 70;
}
