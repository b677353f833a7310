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

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "creamasd.h"
#include "log.h"
#include "xmalloc.h"

/*
 * checkpoint and restore on a master: each slave k (from 1) saves itself
 * into FOLDER/slave-k, and the master, once every slave has, saves its
 * own part (its slaves' addresses and agent counts, round counter, time,
 * random state, and what its extensions save) into FOLDER/MASTER_FILE.
 * A restore
 * checks the master's file and the layout first, then has every slave
 * restore (or, with check, only check) its own, then takes its part.
 */

#define MASTER_FILE	"master.ckpt"

/* Return the folder of slave index within folder. */
static char *
master_checkpoint_folder(const char *folder, size_t index)
{
	char	*path;

	xasprintf(&path, "%s/slave-%zu", folder, index + 1);
	return (path);
}

/* Fan method out with each slave's own folder (and check, if given). */
static void
master_checkpoint_fanout(struct request *request, struct json_object *params,
    const char *method, double timeout, fanout_done_cb done)
{
	struct json_object	**each, *check;
	const char		 *folder;
	size_t			  i;
	char			 *path;

	folder = json_object_get_string(rpc_param(params, "folder"));
	check = rpc_param(params, "check");
	each = xcalloc(master->nslaves, sizeof *each);
	for (i = 0; i < master->nslaves; i++) {
		each[i] = json_object_new_object();
		path = master_checkpoint_folder(folder, i);
		json_object_object_add(each[i], "folder",
		    json_object_new_string(path));
		free(path);
		if (check != NULL)
			json_object_object_add(each[i], "check",
			    json_object_get(check));
	}
	master_fanout(master_call_new(request, params), method, each, timeout,
	    done);
	free(each);
}

/* Save the master's own part; 0, or -1 with *cause. */
static int
master_checkpoint_save(struct savefile *file, char **cause)
{
	size_t	 i;

	savefile_string(file, env->prefix);
	savefile_u64(file, master->nslaves);
	for (i = 0; i < master->nslaves; i++) {
		savefile_string(file, master->slaves[i].address);
		savefile_u64(file, master->slaves[i].agents);
	}
	savefile_u64(file, env->round_number);
	savefile_u64(file, env->rounds);
	savefile_double(file, env->time);
	savefile_u32(file, env->random_state);
	return (extension_save(file, cause));
}

/* Add a number member of every slave's answer into total. */
static int64_t
master_checkpoint_sum(const struct fanout_reply *replies, size_t count,
    const char *name)
{
	int64_t	 total = 0;
	size_t	 i;

	for (i = 0; i < count; i++)
		total += json_object_get_int64(json_object_object_get(
		    replies[i].result, name));
	return (total);
}

/* A new reply {agents: the slaves' sum, round}, for more members. */
static struct json_object *
master_checkpoint_reply(const struct fanout_reply *replies, size_t count,
    uint64_t round)
{
	struct json_object	*reply = json_object_new_object();

	json_object_object_add(reply, "agents", json_object_new_int64(
	    master_checkpoint_sum(replies, count, "agents")));
	json_object_object_add(reply, "round",
	    json_object_new_int64((int64_t)round));
	return (reply);
}

/* Answer a fan-out an error of RPC_FAILED about the folder (cause freed). */
static void
master_checkpoint_fail(struct master_call *call, char *cause)
{
	request_error(call->request, rpc_error_new(RPC_FAILED, cause,
	    json_object_new_string("folder")));
	free(cause);
}

/* Every slave has saved itself (or failed): save the master's part. */
static void
master_checkpoint_done(struct fanout_reply *replies, size_t count, void *arg)
{
	struct master_call	*call = arg;
	struct json_object	*reply;
	struct savefile		 file;
	const char		*folder;
	uint64_t		 bytes;
	char			*cause;

	if (fanout_failures(replies, count) > 0) {
		request_error(call->request, master_failure(replies, count));
		goto out;
	}
	folder = json_object_get_string(rpc_param(call->params, "folder"));
	savefile_init(&file, SAVEFILE_MASTER);
	if (master_checkpoint_save(&file, &cause) != 0) {
		savefile_free(&file);
		master_checkpoint_fail(call, cause);
		goto out;
	}
	bytes = file.length;
	if (savefile_write(&file, folder, MASTER_FILE, &cause) != 0) {
		master_checkpoint_fail(call, cause);
		goto out;
	}
	reply = master_checkpoint_reply(replies, count, env->round_number);
	json_object_object_add(reply, "bytes", json_object_new_int64(
	    master_checkpoint_sum(replies, count, "bytes") + (int64_t)bytes));
	json_object_object_add(reply, "elapsed_us", json_object_new_int64(
	    (int64_t)(env_now_us() - call->start_us)));
	json_object_object_add(reply, "slaves",
	    json_object_new_int64((int64_t)count));
	request_reply(call->request, reply);
out:
	master_call_free(call);
}

/*
 * checkpoint {"folder"}: every slave, then the master. A slave in a
 * round saves itself when the round ends, so this may take a round.
 */
void
master_checkpoint(struct request *request, struct json_object *params)
{
	master_checkpoint_fanout(request, params, "checkpoint",
	    env->config->round_timeout + env->config->limits.call_timeout,
	    master_checkpoint_done);
}

/*
 * Read the master's part of a checkpoint and check that it is of this
 * node's layout; with apply, take it. 0, or -1 with *cause.
 */
static int
master_restore_load(struct savefile_reader *reader, int apply, char **cause)
{
	uint64_t	 nslaves, agents, round_number, rounds;
	uint32_t	 random_state;
	double		 time;
	size_t		 i;
	char		*address;

	address = savefile_get_string(reader);
	nslaves = savefile_get_u64(reader);
	if (address == NULL || strcmp(address, env->prefix) != 0 ||
	    nslaves != master->nslaves) {
		xasprintf(cause, "it was made by the master at %s0 with %llu "
		    "slaves, not this one (%s0, %zu slaves): restore needs "
		    "the same node and slave layout (hosts, ports, slaves "
		    "per node)", address != NULL ? address : "?",
		    (unsigned long long)nslaves, env->prefix, master->nslaves);
		free(address);
		return (-1);
	}
	free(address);
	for (i = 0; i < master->nslaves; i++) {
		address = savefile_get_string(reader);
		agents = savefile_get_u64(reader);
		if (address == NULL ||
		    strcmp(address, master->slaves[i].address) != 0) {
			xasprintf(cause, "its slave %zu was %s, here it is %s: "
			    "restore needs the same node and slave layout",
			    i + 1, address != NULL ? address : "?",
			    master->slaves[i].address);
			free(address);
			return (-1);
		}
		free(address);
		/* Read twice; the first time checked it all. */
		if (apply)
			master->slaves[i].agents = agents;
	}
	round_number = savefile_get_u64(reader);
	rounds = savefile_get_u64(reader);
	time = savefile_get_double(reader);
	random_state = savefile_get_u32(reader);
	if (reader->short_read) {
		xasprintf(cause, "its master part is malformed");
		return (-1);
	}
	if (apply) {
		env->round_number = round_number;
		env->rounds = rounds;
		env->time = time;
		env->random_state = random_state;
	}
	if (extension_load(reader, apply, cause) != 0)
		return (-1);
	if (!savefile_get_done(reader)) {
		xasprintf(cause, "%zu bytes are left over", reader->left);
		return (-1);
	}
	return (0);
}

/* Read and check the master's part; with apply, take it. */
static int
master_restore_file(const char *folder, int apply, char **cause)
{
	struct savefile_reader	 reader;
	char			*why;

	if (savefile_read(folder, MASTER_FILE, SAVEFILE_MASTER, &reader,
	    cause) != 0)
		return (-1);
	if (master_restore_load(&reader, apply, &why) != 0) {
		xasprintf(cause, "%s: %s", reader.path, why);
		free(why);
		savefile_reader_free(&reader);
		return (-1);
	}
	savefile_reader_free(&reader);
	return (0);
}

/* Every slave has restored (or checked) its part: take the master's. */
static void
master_restore_done(struct fanout_reply *replies, size_t count, void *arg)
{
	struct master_call	*call = arg;
	struct json_object	*reply;
	const char		*folder;
	char			*cause;

	if (fanout_failures(replies, count) > 0) {
		request_error(call->request, master_failure(replies, count));
		goto out;
	}
	folder = json_object_get_string(rpc_param(call->params, "folder"));
	if (!json_object_get_boolean(rpc_param(call->params, "check")) &&
	    master_restore_file(folder, 1, &cause) != 0) {
		master_checkpoint_fail(call, cause);
		goto out;
	}
	reply = master_checkpoint_reply(replies, count, (uint64_t)
	    json_object_get_int64(json_object_object_get(replies[0].result,
	    "round")));
	request_reply(call->request, reply);
out:
	master_call_free(call);
}

/*
 * restore {"folder", "check"}: check the master's part and the layout,
 * then every slave restores its own, then the master takes its part.
 */
void
master_restore(struct request *request, struct json_object *params)
{
	const char	*folder;
	char		*cause;
	size_t		 i;

	folder = json_object_get_string(rpc_param(params, "folder"));
	for (i = 0; i < master->nslaves; i++) {
		if (master->slaves[i].agents > 0) {
			request_error(request, rpc_error_newf(RPC_FAILED,
			    NULL, "slave %s already has agents: restore into "
			    "freshly spawned nodes", master->slaves[i].address));
			return;
		}
	}
	if (master_restore_file(folder, 0, &cause) != 0) {
		request_error(request, rpc_error_new(RPC_FAILED, cause,
		    json_object_new_string("folder")));
		free(cause);
		return;
	}
	master_checkpoint_fanout(request, params, "restore",
	    env->config->limits.call_timeout, master_restore_done);
}
