/* A seccomp allowlist for the archive reader (after OpenSSH's sandbox-seccomp-filter):
 * once installed, the reader can read and write the descriptors it holds, create files
 * and directories below the one it holds, allocate memory and exit. Any other system
 * call (socket, execve, ptrace, kill, chmod, link, rename, ...) kills it at once, and
 * the parent refuses the bundle. The architecture is checked first, so a 32-bit
 * syscall table cannot be used to smuggle a different number past the list. */
#include "unpack.h"

#include <errno.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#endif

#define ALLOW(nr)                                                                          \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

int unpack_seccomp(struct six_err *err)
{
#if defined(SECCOMP_ARCH) && !defined(__SANITIZE_ADDRESS__)
	static const struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* the data: plaintext in, files and the pipe out */
		ALLOW(SYS_read), ALLOW(SYS_write), ALLOW(SYS_lseek), ALLOW(SYS_close),
		ALLOW(SYS_fstat), ALLOW(SYS_newfstatat),
		/* starting the write-back of what it wrote (no waiting, no other file) */
		ALLOW(SYS_sync_file_range),
		/* six_mkparents_at and the files: relative to the one directory fd held */
		ALLOW(SYS_openat), ALLOW(SYS_mkdirat), ALLOW(SYS_dup), ALLOW(SYS_fcntl),
		/* memory for libarchive, ISA-L and libgcrypt */
		ALLOW(SYS_brk), ALLOW(SYS_mmap), ALLOW(SYS_munmap), ALLOW(SYS_mremap),
		ALLOW(SYS_madvise), ALLOW(SYS_futex),
		/* the inflater thread (made before the filter, so no clone here): glibc
		 * blocks its signals as it exits, and the threads wait on each other */
		ALLOW(SYS_rt_sigprocmask),
		/* lowering RLIMIT_FSIZE after the manifest; leaving */
		ALLOW(SYS_prlimit64), ALLOW(SYS_exit_group), ALLOW(SYS_exit),
		ALLOW(SYS_rt_sigreturn),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	};
	const struct sock_fprog prog = {sizeof filter / sizeof filter[0],
					(struct sock_filter *)filter};
	/* TSYNC: on every thread of the reader (its inflater too), or on none */
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (rc != 0) {
		if (rc > 0) /* the id of a thread that could not take the filter */
			errno = EPERM;
		return six_fail_errno(err, SIX_ERR_INTERNAL, "cannot install the seccomp filter");
	}
#else
	/* AddressSanitizer's runtime makes system calls of its own; elsewhere, no filter */
	(void)err;
#endif
	return 0;
}
