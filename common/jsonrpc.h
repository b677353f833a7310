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

#ifndef CREAMAS_JSONRPC_H
#define CREAMAS_JSONRPC_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* The JSON-RPC 2.0 error codes. */
#define RPC_PARSE_ERROR		-32700
#define RPC_INVALID_REQUEST	-32600
#define RPC_METHOD_NOT_FOUND	-32601
#define RPC_INVALID_PARAMS	-32602
#define RPC_INTERNAL_ERROR	-32603

/* Ours, in the server range -32000 to -32099. */
#define RPC_AGENT_NOT_FOUND	-32001
#define RPC_NOT_READY		-32002
#define RPC_TIMED_OUT		-32003
#define RPC_SLAVE_LOST		-32004
#define RPC_UNAUTHORISED	-32005
#define RPC_TOO_LARGE		-32006
#define RPC_SHUTTING_DOWN	-32007
#define RPC_AGENT_FAILED	-32008
#define RPC_CONNECTION_LOST	-32009
#define RPC_BUSY		-32010
#define RPC_TYPE_NOT_FOUND	-32011
#define RPC_FAILED		-32012

/* The longest quote of a client's text in a message, in bytes. */
#define RPC_QUOTE_MAX		64

/* Types a parameter may be required to have. */
enum rpc_type {
	RPC_ANY,
	RPC_BOOLEAN,
	RPC_INTEGER,
	RPC_NUMBER,
	RPC_STRING,
	RPC_OBJECT,
	RPC_ARRAY,
};

/* One entry of a method's parameter list; a table ends with name NULL. */
struct rpc_param {
	const char	*name;
	enum rpc_type	 type;
	int		 required;
};

/* A request's parts, borrowed from the parsed request. */
struct rpc_request {
	const char		*method;
	struct json_object	*params;	/* NULL when absent */
	struct json_object	*id;		/* NULL for JSON null */
	int			 notification;	/* no id member at all */
};

/* A test of one value within another, for rpc_find(). */
typedef int	(*rpc_match_fn)(struct json_object *, const char *, void *);

struct json_object *rpc_error_new(int, const char *, struct json_object *);
struct json_object *rpc_error_newf(int, struct json_object *, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
struct json_object *rpc_response_new(struct json_object *,
		    struct json_object *, struct json_object *);
struct json_object *rpc_request_new(int64_t, const char *,
		    struct json_object *);
int		 rpc_request_parse(struct json_object *, struct rpc_request *,
		    struct json_object **);
struct json_object *rpc_param(struct json_object *, const char *);
int		 rpc_params_check(struct json_object *,
		    const struct rpc_param *, struct json_object **);
int		 rpc_parse_line(const char *, size_t, struct json_object **,
		    struct json_object **);
const char	*rpc_serialize(struct json_object *, size_t *);
struct json_object *rpc_find(struct json_object *, const char *,
		    rpc_match_fn, void *, char **);
const char	*rpc_quote(const char *);
const char	*rpc_quote_length(const char *, size_t);
int		 rpc_error_code(const struct json_object *);
const char	*rpc_error_message(const struct json_object *);

#endif
