/* tools/xferd/udp_offload.c over real UDP on 127.0.0.1: a run marked for segmentation
 * leaves as separate datagrams, and a receiver that asks for UDP_GRO gets the run whole
 * with its segment size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../../tools/xferd/udp_offload.h"

/* A socket bound to 127.0.0.1 on a port of the kernel's choice, with a receive timeout. */
static int bound(struct sockaddr_in *a, int gro)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof *a;
	assert_int_equal(bind(s, (struct sockaddr *)a, len), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)a, &len), 0);
	struct timeval tv = {2, 0};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (gro)
		assert_int_equal(setsockopt(s, SOL_UDP, UDP_GRO, &gro, sizeof gro), 0);
	return s;
}

/* Send 100 + 100 + 50 bytes (a, b, c) as one message marked with a segment of 100. */
static void send_run(struct sockaddr_in *to)
{
	static uint8_t run[250];
	memset(run, 'a', 100);
	memset(run + 100, 'b', 100);
	memset(run + 200, 'c', 50);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct iovec iov = {run, sizeof run};
	struct msghdr h = {.msg_name = to, .msg_namelen = sizeof *to, .msg_iov = &iov,
			   .msg_iovlen = 1};
	union xferd_gso_ctl ctl;
	xferd_gso_mark(&h, &ctl, 100);
	assert_int_equal(sendmsg(s, &h, 0), (ssize_t)sizeof run);
	close(s);
}

static ssize_t receive(int s, uint8_t *buf, size_t cap, struct msghdr *h, union xferd_gro_ctl *c)
{
	static struct iovec iov;
	iov = (struct iovec){buf, cap};
	memset(h, 0, sizeof *h);
	h->msg_iov = &iov;
	h->msg_iovlen = 1;
	h->msg_control = c->buf;
	h->msg_controllen = sizeof c->buf;
	return recvmsg(s, h, 0);
}

static void test_segments_leave_as_datagrams(void **state)
{
	(void)state;
	struct sockaddr_in a;
	int r = bound(&a, 0);
	send_run(&a);
	const struct { size_t len; char fill; } want[] = {{100, 'a'}, {100, 'b'}, {50, 'c'}};
	for (size_t i = 0; i < 3; i++) {
		uint8_t buf[300];
		struct msghdr h;
		union xferd_gro_ctl c;
		assert_int_equal(receive(r, buf, sizeof buf, &h, &c), (ssize_t)want[i].len);
		assert_int_equal(buf[0], want[i].fill);
		assert_int_equal(buf[want[i].len - 1], want[i].fill);
		assert_int_equal(xferd_gro_size(&h), 0);
	}
	close(r);
}

static void test_gro_receives_the_run_whole(void **state)
{
	(void)state;
	struct sockaddr_in a;
	int r = bound(&a, 1);
	send_run(&a);
	uint8_t buf[300];
	struct msghdr h;
	union xferd_gro_ctl c;
	assert_int_equal(receive(r, buf, sizeof buf, &h, &c), 250);
	assert_int_equal(xferd_gro_size(&h), 100);
	assert_int_equal(buf[99], 'a');
	assert_int_equal(buf[100], 'b');
	assert_int_equal(buf[249], 'c');
	close(r);
}

static void test_gro_size_of_odd_control(void **state)
{
	(void)state;
	struct msghdr none = {0};
	assert_int_equal(xferd_gro_size(&none), 0);
	union xferd_gro_ctl c;
	struct msghdr h = {.msg_control = c.buf, .msg_controllen = sizeof c.buf};
	struct cmsghdr *m = CMSG_FIRSTHDR(&h);
	m->cmsg_level = SOL_UDP;
	m->cmsg_type = UDP_GRO;
	m->cmsg_len = CMSG_LEN(sizeof(int));
	int v = -5;
	memcpy(CMSG_DATA(m), &v, sizeof v);
	assert_int_equal(xferd_gro_size(&h), 0);
	m->cmsg_type = UDP_SEGMENT; /* not the one it looks for */
	v = 1472;
	memcpy(CMSG_DATA(m), &v, sizeof v);
	assert_int_equal(xferd_gro_size(&h), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segments_leave_as_datagrams),
		cmocka_unit_test(test_gro_receives_the_run_whole),
		cmocka_unit_test(test_gro_size_of_odd_control),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
