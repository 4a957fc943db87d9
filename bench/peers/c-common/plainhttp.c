/* SPDX-License-Identifier: MIT */
/* plainhttp: see plainhttp.h. */
#define _GNU_SOURCE
#include "plainhttp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define DATE_LEN 29 /* "Sat, 28 Nov 2026 07:16:42 GMT" */

static const char NOT_FOUND_BODY[] = "{\"error\":\"Not Found\",\"status\":404}";

/* One prebuilt response: its bytes and where its date sits in them. */
struct response {
	char *bytes;
	size_t len;
	size_t date_at;
};

/* Indexed by what is owed: [0] the keep-alive 200, then enum pc_final. */
static struct response responses[3];
static time_t date_second = -1;

static void die(const char *what)
{
	fprintf(stderr, "plainhttp: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void build(struct response *r, const char *status, const char *engine,
		  const char *location, const char *connection, const char *body, size_t body_len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\ncontent-type: application/json\r\nengine: %s\r\n%s"
			 "date: %*s\r\ncontent-length: %zu\r\n%s\r\n",
			 status, engine, location, DATE_LEN, "", body_len, connection);
	r->len = (size_t)n + body_len;
	r->bytes = malloc(r->len);
	if (!r->bytes)
		die("malloc");
	memcpy(r->bytes, head, (size_t)n);
	memcpy(r->bytes + n, body, body_len);
	r->date_at = (size_t)(strstr(head, "\r\ndate: ") - head) + 8;
}

/* Builds the three prebuilt responses from the fixture; exits on failure. */
static void responses_init(const char *fixture_path, const char *engine)
{
	FILE *f = fopen(fixture_path, "rb");
	if (!f)
		die(fixture_path);
	static char body[1 << 16];
	size_t len = fread(body, 1, sizeof(body), f);
	if (ferror(f) || !feof(f))
		die("the fixture is unreadable or over 64 KiB");
	fclose(f);

	const char *location = "location: /v1/avatar\r\n";
	build(&responses[0], "200 OK", engine, location, "", body, len);
	build(&responses[PC_FINAL_OK_CLOSE], "200 OK", engine, location,
	      "connection: close\r\n", body, len);
	build(&responses[PC_FINAL_NOT_FOUND], "404 Not Found", engine, "",
	      "connection: close\r\n", NOT_FOUND_BODY, sizeof(NOT_FOUND_BODY) - 1);
	pc_refresh_date();
}

void pc_refresh_date(void)
{
	/* vDSO: a few ns, no syscall; called once per loop turn or tick. */
	time_t now = time(NULL);
	if (now == date_second)
		return;
	date_second = now;
	struct tm tm;
	char date[DATE_LEN + 1];
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	/*
	 * In place: the peers are single-threaded and the kernel copies a
	 * send's bytes on this thread (DEFER_TASKRUN, or write(2)), so no copy
	 * races this. A response already half sent may finish with the next
	 * second's digits, as Ringside's would.
	 */
	for (int i = 0; i < 3; i++)
		memcpy(responses[i].bytes + responses[i].date_at, date, DATE_LEN);
}

/* Whether the head's fields say Connection: close (the request line skipped). */
static int wants_close(const char *head, size_t len)
{
	const char *end = head + len;
	const char *line = memchr(head, '\n', len);
	while (line && ++line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			break;
		if ((*line | 0x20) == 'c' && eol - line > 11 && strncasecmp(line, "connection:", 11) == 0) {
			for (const char *v = line + 11; v + 5 <= eol; v++)
				if (strncasecmp(v, "close", 5) == 0)
					return 1;
		}
		line = eol;
	}
	return 0;
}

/* Counts the complete requests in [data, data+len); returns the bytes used. */
static size_t scan(struct pc_http *h, const char *data, size_t len)
{
	static const char avatar[] = "GET /v1/avatar HTTP/1.1\r\n";
	size_t used = 0;
	while (h->final == PC_FINAL_NONE) {
		const char *start = data + used;
		const char *blank = memmem(start, len - used, "\r\n\r\n", 4);
		if (!blank)
			break;
		size_t head_len = (size_t)(blank - start) + 4;
		used += head_len;
		if (head_len < sizeof(avatar) - 1 || memcmp(start, avatar, sizeof(avatar) - 1) != 0)
			h->final = PC_FINAL_NOT_FOUND;
		else if (wants_close(start, head_len))
			h->final = PC_FINAL_OK_CLOSE;
		else
			h->owed++;
	}
	if (h->final != PC_FINAL_NONE) {
		h->close_after = 1;
		used = len; /* what follows a closing request is never read */
	}
	return used;
}

int pc_receive(struct pc_http *h, const char *data, size_t len)
{
	if (h->close_after)
		return 0;
	size_t rest;
	if (h->carry_len == 0) {
		size_t used = scan(h, data, len);
		rest = len - used;
		data += used;
	} else {
		/* carry_len < PC_MAX_HEAD and len <= PC_MAX_READ: it fits. */
		memcpy(h->carry + h->carry_len, data, len);
		len += h->carry_len;
		size_t used = scan(h, h->carry, len);
		rest = len - used;
		data = h->carry + used;
	}
	if (rest >= PC_MAX_HEAD || h->owed > PC_MAX_OWED)
		return -1;
	if (rest > 0) {
		if (!h->carry && !(h->carry = malloc(PC_MAX_HEAD + PC_MAX_READ)))
			return -1;
		memmove(h->carry, data, rest);
	}
	h->carry_len = (uint16_t)rest;
	return 0;
}

int pc_output(const struct pc_http *h, struct iovec *iov, int cap)
{
	int n = 0;
	size_t offset = h->offset;
	uint32_t owed = h->owed;
	while (owed > 0 && n < cap) {
		iov[n].iov_base = responses[0].bytes + offset;
		iov[n].iov_len = responses[0].len - offset;
		offset = 0;
		owed--;
		n++;
	}
	if (owed == 0 && h->final != PC_FINAL_NONE && n < cap) {
		iov[n].iov_base = responses[h->final].bytes + offset;
		iov[n].iov_len = responses[h->final].len - offset;
		n++;
	}
	return n;
}

void pc_sent(struct pc_http *h, size_t bytes)
{
	while (bytes > 0 && pc_has_output(h)) {
		size_t len = responses[h->owed > 0 ? 0 : h->final].len;
		size_t take = len - h->offset < bytes ? len - h->offset : bytes;
		h->offset += (uint32_t)take;
		bytes -= take;
		if (h->offset == len) {
			h->offset = 0;
			if (h->owed > 0)
				h->owed--;
			else
				h->final = PC_FINAL_NONE;
		}
	}
}

void pc_reset(struct pc_http *h)
{
	free(h->carry);
	memset(h, 0, sizeof(*h));
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int pc_setup(int argc, char **argv, const char *engine, int *port)
{
	const char *fixture = NULL;
	*port = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			*port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--fixture") == 0)
			fixture = argv[i + 1];
	}
	if (*port <= 0 || *port > 65535 || !fixture || argc % 2 == 0) {
		fprintf(stderr, "usage: %s --port N --fixture PATH\n", argv[0]);
		exit(2);
	}
	responses_init(fixture, engine);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	struct rlimit limit;
	if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
		die("getrlimit");
	limit.rlim_cur = limit.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
		die("setrlimit");
	return (int)limit.rlim_cur;
}

int pc_listen(int port, int extra_flags)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | extra_flags, 0);
	if (fd < 0)
		die("socket");
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		die("setsockopt");
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		die("bind");
	if (listen(fd, 4096) != 0)
		die("listen");
	return fd;
}
