#include "udp_offload.h"

#include <netinet/udp.h>
#include <string.h>

void xferd_gso_mark(struct msghdr *h, union xferd_gso_ctl *ctl, uint16_t seg)
{
	h->msg_control = ctl->buf;
	h->msg_controllen = sizeof ctl->buf;
	struct cmsghdr *c = CMSG_FIRSTHDR(h);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof seg);
	memcpy(CMSG_DATA(c), &seg, sizeof seg);
}

size_t xferd_gro_size(const struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof v);
			return v > 0 ? (size_t)v : 0;
		}
	return 0;
}
