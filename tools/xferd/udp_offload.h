/* UDP segmentation and receive offload (Linux 4.18 and 5.0), for six-xferd and the
 * test relay: a run of equal datagrams travels through the kernel as one message, and
 * every datagram of it is still an ordinary datagram on the wire. */
#ifndef XFERD_UDP_OFFLOAD_H
#define XFERD_UDP_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Datagrams in one message at most: the kernel's limit before Linux 6.x is 64, and
 * the message must fit in one UDP payload. */
#define XFERD_GSO_SEGS_MAX 64
#define XFERD_UDP_PAYLOAD_MAX 65507

/* Room for the control message xferd_gso_mark writes. */
union xferd_gso_ctl {
	char buf[CMSG_SPACE(sizeof(uint16_t))];
	struct cmsghdr align;
};

/* Ask the kernel to cut h's data into datagrams of seg bytes (the last may be shorter). */
void xferd_gso_mark(struct msghdr *h, union xferd_gso_ctl *ctl, uint16_t seg);

/* Room for the control message the kernel writes with a coalesced message. */
union xferd_gro_ctl {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* The size the kernel coalesced a received message's datagrams at (UDP_GRO), or 0
 * when it holds one datagram. */
size_t xferd_gro_size(const struct msghdr *h);

#endif
