/*
 * Copyright (c) 2026 The creamasd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * Tests for common/addr.c: agent addresses tcp://HOST:PORT/N, listen
 * addresses HOST:PORT, and formatting them back.
 */

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "addr.h"

Suite	*suite_addr(void);

/* Agent addresses that parse, and what they hold. */
static const struct {
	const char	*string;
	const char	*host;
	uint16_t	 port;
	long		 agent;
} good_agents[] = {
	{ "tcp://127.0.0.1:5555/1", "127.0.0.1", 5555, 1 },
	{ "tcp://127.0.0.1:7000/0", "127.0.0.1", 7000, 0 },
	{ "tcp://[::1]:7000/3", "::1", 7000, 3 },
	{ "tcp://[fe80::1%eth0]:1/12", "fe80::1%eth0", 1, 12 },
	{ "tcp://[2001:db8::42]:65535/7", "2001:db8::42", 65535, 7 },
	{ "tcp://localhost:65535/9223372036854775807", "localhost", 65535,
	    LONG_MAX },
	{ "tcp://node-1.example.org:0/42", "node-1.example.org", 0, 42 },
	{ "tcp://h:80/100000", "h", 80, 100000 },
};

/* Agent addresses that must be refused. */
static const char *bad_agents[] = {
	"",
	"tcp://",
	"127.0.0.1:5555/1",		/* no scheme */
	"udp://127.0.0.1:5555/1",
	"TCP://127.0.0.1:5555/1",
	"tcp:/127.0.0.1:5555/1",
	"tcp://127.0.0.1:5555",		/* no /N */
	"tcp://[::1]:5555",
	"tcp://127.0.0.1:5555/",	/* empty N */
	"tcp://127.0.0.1:5555/-1",
	"tcp://127.0.0.1:5555/+1",
	"tcp://127.0.0.1:5555/ 1",
	"tcp://127.0.0.1:5555/1 ",
	"tcp://127.0.0.1:5555/1x",
	"tcp://127.0.0.1:5555/x",
	"tcp://127.0.0.1:5555/0x10",
	"tcp://127.0.0.1:5555/1.5",
	"tcp://127.0.0.1:5555/1/2",
	"tcp://127.0.0.1:5555/9223372036854775808",
	"tcp://127.0.0.1:5555/99999999999999999999999",
	"tcp://127.0.0.1/1",		/* no port */
	"tcp://127.0.0.1:/1",
	"tcp://:5555/1",		/* no host */
	"tcp://127.0.0.1:65536/1",
	"tcp://127.0.0.1:99999999999999999999/1",
	"tcp://127.0.0.1:-1/1",
	"tcp://127.0.0.1:+80/1",
	"tcp://127.0.0.1: 80/1",
	"tcp://127.0.0.1:80x/1",
	"tcp://127.0.0.1:0x50/1",
	"tcp://[::1/1",
	"tcp://[::1]5555/1",
	"tcp://[::1]/1",
	"tcp://[]:5555/1",
	"tcp://[::1]:/1",
	"tcp://[::1]:5555:1/1",
	"tcp:///1",
};

/* Listen addresses that parse, and what they hold. */
static const struct {
	const char	*string;
	const char	*host;
	uint16_t	 port;
} good_hostports[] = {
	{ "127.0.0.1:7000", "127.0.0.1", 7000 },
	{ "0.0.0.0:0", "0.0.0.0", 0 },
	{ "[::1]:7000", "::1", 7000 },
	{ "[::]:1", "::", 1 },
	{ "localhost:65535", "localhost", 65535 },
	{ "a:1", "a", 1 },
};

/* Listen addresses that must be refused. */
static const char *bad_hostports[] = {
	"",
	"localhost",
	":7000",
	"localhost:",
	"localhost:65536",
	"localhost:-1",
	"localhost:+1",
	"localhost: 1",
	"localhost:1 ",
	"localhost:1x",
	"localhost:7000/1",
	"[::1]",
	"[::1]:",
	"[::1]7000",
	"[::1",
	"[]:7000",
	"[::1]:7000]",
};

/* Check every good agent address parses to its parts. */
START_TEST(test_parse_good)
{
	struct addr	 addr;
	char		*cause = NULL;

	memset(&addr, 0xa5, sizeof addr);
	ck_assert_msg(addr_parse(good_agents[_i].string, &addr, &cause) == 0,
	    "'%s' refused: %s", good_agents[_i].string,
	    cause != NULL ? cause : "(no cause)");
	ck_assert_ptr_null(cause);
	ck_assert_str_eq(addr.host, good_agents[_i].host);
	ck_assert_uint_eq(addr.port, good_agents[_i].port);
	ck_assert_int_eq(addr.agent, good_agents[_i].agent);
}
END_TEST

/* Check every bad agent address is refused with a cause naming it. */
START_TEST(test_parse_bad)
{
	struct addr	 addr;
	char		*cause = NULL;
	const char	*string = bad_agents[_i];

	ck_assert_msg(addr_parse(string, &addr, &cause) == -1,
	    "'%s' accepted as host '%s' port %u agent %ld", string, addr.host,
	    addr.port, addr.agent);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, string) != NULL,
	    "cause '%s' does not name '%s'", cause, string);
	free(cause);
}
END_TEST

/* Check white space before a port or agent number is not skipped. */
START_TEST(test_parse_space_before_numbers)
{
	static const char	*strings[] = {
		"tcp://127.0.0.1:\t80/1",
		"tcp://127.0.0.1:\n80/1",
		"tcp://127.0.0.1:80/\t1",
		"tcp://127.0.0.1:80/\n1",
		"tcp://127.0.0.1:80/\v1",
	};
	struct addr		 addr;
	char			*cause;
	size_t			 i;

	for (i = 0; i < sizeof strings / sizeof strings[0]; i++) {
		cause = NULL;
		ck_assert_msg(addr_parse(strings[i], &addr, &cause) == -1,
		    "address with white space '%s' accepted as port %u "
		    "agent %ld", strings[i], addr.port, addr.agent);
		free(cause);
	}
	cause = NULL;
	ck_assert_msg(addr_parse_hostport("localhost:\t80", &addr,
	    &cause) == -1, "'localhost:\\t80' accepted as port %u",
	    addr.port);
	free(cause);
}
END_TEST

/* Check the causes say what is wrong. */
START_TEST(test_parse_causes)
{
	struct addr	 addr;
	char		*cause;

	ck_assert_int_eq(addr_parse("tcp://h:1", &addr, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "/N"));
	free(cause);
	ck_assert_int_eq(addr_parse("http://h:1/1", &addr, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "tcp://HOST:PORT/N"));
	free(cause);
	ck_assert_int_eq(addr_parse("tcp://h:1/-4", &addr, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "agent number"));
	free(cause);
	ck_assert_int_eq(addr_parse("tcp://h:70000/1", &addr, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "port"));
	ck_assert_ptr_nonnull(strstr(cause, "70000"));
	free(cause);
	ck_assert_int_eq(addr_parse_hostport("nohost", &addr, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "nohost"));
	free(cause);
}
END_TEST

/* Check hosts up to ADDR_HOST_MAX - 1 bytes fit and longer ones do not. */
START_TEST(test_parse_long_host)
{
	struct addr	 addr;
	char		 host[8192], *string, *cause = NULL;
	size_t		 lengths[] = { ADDR_HOST_MAX, ADDR_HOST_MAX + 1,
			    sizeof host - 1 };
	size_t		 i;

	memset(host, 'a', ADDR_HOST_MAX - 1);
	host[ADDR_HOST_MAX - 1] = '\0';
	string = addr_format(host, 80, 2);
	ck_assert_int_eq(addr_parse(string, &addr, &cause), 0);
	ck_assert_uint_eq(strlen(addr.host), ADDR_HOST_MAX - 1);
	ck_assert_str_eq(addr.host, host);
	free(string);

	for (i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
		memset(host, 'b', lengths[i]);
		host[lengths[i]] = '\0';
		string = addr_format(host, 80, 2);
		ck_assert_msg(addr_parse(string, &addr, &cause) == -1,
		    "host of %zu bytes accepted", lengths[i]);
		free(cause);
		free(string);
		string = addr_format_hostport(host, 80);
		ck_assert_msg(addr_parse_hostport(string, &addr, &cause) == -1,
		    "host of %zu bytes accepted in HOST:PORT", lengths[i]);
		free(cause);
		free(string);
	}
}
END_TEST

/* Check over-long bracketed hosts are refused too. */
START_TEST(test_parse_long_v6_host)
{
	struct addr	 addr;
	char		 string[ADDR_HOST_MAX + 32], *cause = NULL;

	string[0] = '[';
	memset(string + 1, ':', ADDR_HOST_MAX);
	memcpy(string + 1 + ADDR_HOST_MAX, "]:80", 5);
	ck_assert_int_eq(addr_parse_hostport(string, &addr, &cause), -1);
	free(cause);

	string[0] = '[';
	memset(string + 1, ':', ADDR_HOST_MAX - 1);
	memcpy(string + ADDR_HOST_MAX, "]:80", 5);
	ck_assert_int_eq(addr_parse_hostport(string, &addr, &cause), 0);
	ck_assert_uint_eq(strlen(addr.host), ADDR_HOST_MAX - 1);
	ck_assert_uint_eq(addr.port, 80);
}
END_TEST

/* Check every good HOST:PORT parses, without an agent. */
START_TEST(test_hostport_good)
{
	struct addr	 addr;
	char		*cause = NULL;

	memset(&addr, 0xa5, sizeof addr);
	ck_assert_msg(addr_parse_hostport(good_hostports[_i].string, &addr,
	    &cause) == 0, "'%s' refused: %s", good_hostports[_i].string,
	    cause != NULL ? cause : "(no cause)");
	ck_assert_str_eq(addr.host, good_hostports[_i].host);
	ck_assert_uint_eq(addr.port, good_hostports[_i].port);
	ck_assert_int_eq(addr.agent, -1);
}
END_TEST

/* Check every bad HOST:PORT is refused with a cause. */
START_TEST(test_hostport_bad)
{
	struct addr	 addr;
	char		*cause = NULL;

	ck_assert_msg(addr_parse_hostport(bad_hostports[_i], &addr,
	    &cause) == -1, "'%s' accepted as host '%s' port %u",
	    bad_hostports[_i], addr.host, addr.port);
	ck_assert_ptr_nonnull(cause);
	free(cause);
}
END_TEST

/* Check the formatted text of a few addresses. */
START_TEST(test_format)
{
	char	*string;

	string = addr_format("127.0.0.1", 7000, 0);
	ck_assert_str_eq(string, "tcp://127.0.0.1:7000/0");
	free(string);
	string = addr_format("::1", 80, 12);
	ck_assert_str_eq(string, "tcp://[::1]:80/12");
	free(string);
	string = addr_format("example.org", 65535, LONG_MAX);
	ck_assert_str_eq(string, "tcp://example.org:65535/9223372036854775807");
	free(string);
	string = addr_format_hostport("fe80::1", 0);
	ck_assert_str_eq(string, "[fe80::1]:0");
	free(string);
	string = addr_format_hostport("localhost", 1);
	ck_assert_str_eq(string, "localhost:1");
	free(string);
}
END_TEST

/* Check parsing then formatting gives back each good address. */
START_TEST(test_round_trip_text)
{
	struct addr	 addr;
	char		*cause = NULL, *string;
	size_t		 i;

	for (i = 0; i < sizeof good_agents / sizeof good_agents[0]; i++) {
		ck_assert_int_eq(addr_parse(good_agents[i].string, &addr,
		    &cause), 0);
		string = addr_format(addr.host, addr.port, addr.agent);
		ck_assert_str_eq(string, good_agents[i].string);
		free(string);
	}
	for (i = 0; i < sizeof good_hostports / sizeof good_hostports[0];
	    i++) {
		ck_assert_int_eq(addr_parse_hostport(good_hostports[i].string,
		    &addr, &cause), 0);
		string = addr_format_hostport(addr.host, addr.port);
		ck_assert_str_eq(string, good_hostports[i].string);
		free(string);
	}
}
END_TEST

/* Check formatting then parsing gives back the parts. */
START_TEST(test_round_trip_parts)
{
	static const char	*hosts[] = { "127.0.0.1", "::1", "::",
	    "2001:db8:0:1:2:3:4:5", "localhost", "x", "a.b.c.d.e" };
	static const uint16_t	 ports[] = { 0, 1, 80, 7000, 65535 };
	static const long	 agents[] = { 0, 1, 9, 10, 123456789,
	    LONG_MAX };
	struct addr		 addr;
	char			*string, *cause = NULL;
	size_t			 h, p, a;

	for (h = 0; h < sizeof hosts / sizeof hosts[0]; h++) {
		for (p = 0; p < sizeof ports / sizeof ports[0]; p++) {
			for (a = 0; a < sizeof agents / sizeof agents[0];
			    a++) {
				string = addr_format(hosts[h], ports[p],
				    agents[a]);
				ck_assert_msg(addr_parse(string, &addr,
				    &cause) == 0, "'%s' refused", string);
				ck_assert_str_eq(addr.host, hosts[h]);
				ck_assert_uint_eq(addr.port, ports[p]);
				ck_assert_int_eq(addr.agent, agents[a]);
				free(string);
			}
			string = addr_format_hostport(hosts[h], ports[p]);
			ck_assert_int_eq(addr_parse_hostport(string, &addr,
			    &cause), 0);
			ck_assert_str_eq(addr.host, hosts[h]);
			ck_assert_uint_eq(addr.port, ports[p]);
			free(string);
		}
	}
}
END_TEST

/* Collect the address tests. */
Suite *
suite_addr(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("addr");
	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_good, 0,
	    sizeof good_agents / sizeof good_agents[0]);
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    sizeof bad_agents / sizeof bad_agents[0]);
	tcase_add_test(tc, test_parse_space_before_numbers);
	tcase_add_test(tc, test_parse_causes);
	tcase_add_test(tc, test_parse_long_host);
	tcase_add_test(tc, test_parse_long_v6_host);
	suite_add_tcase(suite, tc);

	tc = tcase_create("hostport");
	tcase_add_loop_test(tc, test_hostport_good, 0,
	    sizeof good_hostports / sizeof good_hostports[0]);
	tcase_add_loop_test(tc, test_hostport_bad, 0,
	    sizeof bad_hostports / sizeof bad_hostports[0]);
	suite_add_tcase(suite, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_round_trip_text);
	tcase_add_test(tc, test_round_trip_parts);
	suite_add_tcase(suite, tc);
	return (suite);
}
