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

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creamasctl.h"
#include "xmalloc.h"

/*
 * creamasctl plot FILE.csv -o FILE.svg: the round time of each node over
 * the rounds of a trigger --timings file, as an SVG written here: one
 * polyline per node, in the file's order, so that a node slower than the
 * others (a straggler) stands out; the legend says how many rounds each
 * node was the slowest of.
 */

#define PLOT_WIDTH	900
#define PLOT_HEIGHT	500
#define PLOT_LEFT	80	/* room for the time axis' labels */
#define PLOT_RIGHT	260	/* room for the legend */
#define PLOT_TOP	40
#define PLOT_BOTTOM	50
#define PLOT_TICKS	5
#define PLOT_LINE_MAX	4096
#define PLOT_NODES_MAX	1000

static const char *plot_colours[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};
#define PLOT_COLOURS	(sizeof plot_colours / sizeof plot_colours[0])

/* A node's rounds: (round, seconds) in the file's order. */
struct plot_node {
	char		*name;
	double		*rounds;
	double		*seconds;
	size_t		 count;
	size_t		 slowest;	/* rounds it was the slowest of */
};

struct plot {
	struct plot_node	*nodes;
	size_t			 count;
	double			 first, last;	/* rounds */
	double			 longest;	/* seconds */
};

/*
 * Split a CSV line into at most max fields in place (quotes as
 * timings.c writes them); the number of fields.
 */
static size_t
plot_split(char *line, char **fields, size_t max)
{
	size_t	 n = 0;
	char	*in = line, *out;

	while (n < max) {
		out = fields[n++] = in;
		if (*in == '"') {
			for (in++; *in != '\0'; in++) {
				if (*in == '"' && in[1] == '"')
					in++;
				else if (*in == '"') {
					in++;
					break;
				}
				*out++ = *in;
			}
		} else {
			while (*in != '\0' && *in != ',')
				*out++ = *in++;
		}
		if (*in != ',') {
			*out = '\0';
			break;
		}
		in++;
		*out = '\0';
	}
	return (n);
}

/* Find a node by name, adding it if new; NULL past PLOT_NODES_MAX. */
static struct plot_node *
plot_node(struct plot *plot, const char *name)
{
	size_t	 i;

	for (i = 0; i < plot->count; i++) {
		if (strcmp(plot->nodes[i].name, name) == 0)
			return (&plot->nodes[i]);
	}
	if (plot->count == PLOT_NODES_MAX)
		return (NULL);
	plot->nodes = xreallocarray(plot->nodes, plot->count + 1,
	    sizeof *plot->nodes);
	memset(&plot->nodes[plot->count], 0, sizeof *plot->nodes);
	plot->nodes[plot->count].name = xstrdup(name);
	return (&plot->nodes[plot->count++]);
}

/* Read the node lines of a timings file; -1 with a cause if it is bad. */
static int
plot_read(const char *path, struct plot *plot, char **cause)
{
	struct plot_node	*node;
	FILE			*file;
	char			 line[PLOT_LINE_MAX], *fields[8], *end;
	size_t			 number = 0, n;
	double			 round, seconds;

	if ((file = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return (-1);
	}
	while (fgets(line, sizeof line, file) != NULL) {
		number++;
		line[strcspn(line, "\r\n")] = '\0';
		n = plot_split(line, fields, 8);
		if (number == 1) {
			if (n != 7 || strcmp(fields[0], "round") != 0 ||
			    strcmp(fields[6], "total_s") != 0)
				goto bad;
			continue;
		}
		if (n != 7)
			goto bad;
		if (*fields[2] != '\0')
			continue;	/* a slave's line */
		round = strtod(fields[0], &end);
		if (*end != '\0' || end == fields[0])
			goto bad;
		seconds = strtod(fields[6], &end);
		if (*end != '\0' || end == fields[6] || !(seconds >= 0))
			goto bad;
		if ((node = plot_node(plot, fields[1])) == NULL)
			goto bad;
		node->rounds = xreallocarray(node->rounds, node->count + 1,
		    sizeof *node->rounds);
		node->seconds = xreallocarray(node->seconds, node->count + 1,
		    sizeof *node->seconds);
		node->rounds[node->count] = round;
		node->seconds[node->count++] = seconds;
		if (plot->count == 1 && node->count == 1)
			plot->first = plot->last = round;
		if (round < plot->first)
			plot->first = round;
		if (round > plot->last)
			plot->last = round;
		if (seconds > plot->longest)
			plot->longest = seconds;
	}
	fclose(file);
	if (number == 0 || plot->count == 0) {
		xasprintf(cause, "%s: no rounds (make it with trigger "
		    "--timings)", path);
		return (-1);
	}
	return (0);

bad:
	fclose(file);
	xasprintf(cause, "%s:%zu: not a line of trigger --timings (round,"
	    "node,slave,agents,act_s,wait_s,total_s)", path, number);
	return (-1);
}

/* One node's time in one round, for finding each round's slowest. */
struct plot_sample {
	double		 round;
	double		 seconds;
	size_t		 node;
};

/* Order samples by round, then the longest first, then by node. */
static int
plot_sample_compare(const void *a, const void *b)
{
	const struct plot_sample	*x = a, *y = b;

	if (x->round != y->round)
		return (x->round < y->round ? -1 : 1);
	if (x->seconds != y->seconds)
		return (x->seconds > y->seconds ? -1 : 1);
	return (x->node < y->node ? -1 : x->node > y->node);
}

/* Count, for each node, the rounds in which it took longest. */
static void
plot_count_slowest(struct plot *plot)
{
	struct plot_sample	*samples;
	size_t			 total = 0, n = 0, i, k;

	for (i = 0; i < plot->count; i++)
		total += plot->nodes[i].count;
	samples = xcalloc(total, sizeof *samples);
	for (i = 0; i < plot->count; i++) {
		for (k = 0; k < plot->nodes[i].count; k++) {
			samples[n].round = plot->nodes[i].rounds[k];
			samples[n].seconds = plot->nodes[i].seconds[k];
			samples[n++].node = i;
		}
	}
	qsort(samples, n, sizeof *samples, plot_sample_compare);
	for (i = 0; i < n; i++) {
		if (i == 0 || samples[i].round != samples[i - 1].round)
			plot->nodes[samples[i].node].slowest++;
	}
	free(samples);
}

/* Write text with the characters XML gives a meaning escaped. */
static void
plot_text(FILE *out, const char *text)
{
	for (; *text != '\0'; text++) {
		switch (*text) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			if ((unsigned char)*text >= 0x20)
				putc(*text, out);
		}
	}
}

/* The x coordinate of a round. */
static double
plot_x(const struct plot *plot, double round)
{
	double	 width = PLOT_WIDTH - PLOT_LEFT - PLOT_RIGHT;

	if (plot->last == plot->first)
		return (PLOT_LEFT + width / 2);
	return (PLOT_LEFT + width * (round - plot->first) /
	    (plot->last - plot->first));
}

/* The y coordinate of a time. */
static double
plot_y(const struct plot *plot, double seconds)
{
	double	 height = PLOT_HEIGHT - PLOT_TOP - PLOT_BOTTOM;
	double	 top = plot->longest > 0 ? plot->longest * 1.1 : 1;

	return (PLOT_TOP + height * (1 - seconds / top));
}

/* Write the axes, their ticks and labels. */
static void
plot_axes(FILE *out, const struct plot *plot)
{
	double	 top = plot->longest > 0 ? plot->longest * 1.1 : 1, value;
	char	*label;
	int	 i;

	fprintf(out, "<g class=\"axes\" stroke=\"#444\" fill=\"none\">\n"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
	    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n</g>\n",
	    PLOT_LEFT, PLOT_TOP, PLOT_LEFT, PLOT_HEIGHT - PLOT_BOTTOM,
	    PLOT_LEFT, PLOT_HEIGHT - PLOT_BOTTOM, PLOT_WIDTH - PLOT_RIGHT,
	    PLOT_HEIGHT - PLOT_BOTTOM);
	fprintf(out, "<g class=\"ticks\" font-family=\"sans-serif\" "
	    "font-size=\"12\" fill=\"#444\">\n");
	for (i = 0; i <= PLOT_TICKS; i++) {
		value = top * i / PLOT_TICKS;
		label = ctl_format_seconds(value);
		fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
		    "y2=\"%.1f\" stroke=\"#ddd\"/>\n<text x=\"%d\" "
		    "y=\"%.1f\" text-anchor=\"end\">%s</text>\n", PLOT_LEFT,
		    plot_y(plot, value), PLOT_WIDTH - PLOT_RIGHT,
		    plot_y(plot, value), PLOT_LEFT - 6,
		    plot_y(plot, value) + 4, label);
		free(label);
		value = plot->first + (plot->last - plot->first) * i /
		    PLOT_TICKS;
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" "
		    "text-anchor=\"middle\">%.0f</text>\n",
		    plot_x(plot, value), PLOT_HEIGHT - PLOT_BOTTOM + 18, value);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
	    "round</text>\n</g>\n", PLOT_LEFT + (PLOT_WIDTH - PLOT_LEFT -
	    PLOT_RIGHT) / 2, PLOT_HEIGHT - 10);
}

/* Write the SVG: axes, a polyline per node and the legend. */
static void
plot_svg(FILE *out, const struct plot *plot, const char *source)
{
	const struct plot_node	*node;
	const char		*colour;
	size_t			 i, k;

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\">\n<title>round time per "
	    "node: ", PLOT_WIDTH, PLOT_HEIGHT, PLOT_WIDTH, PLOT_HEIGHT);
	plot_text(out, source);
	fprintf(out, "</title>\n<rect width=\"100%%\" height=\"100%%\" "
	    "fill=\"white\"/>\n<text x=\"%d\" y=\"24\" "
	    "font-family=\"sans-serif\" font-size=\"16\">Round time per "
	    "node</text>\n", PLOT_LEFT);
	plot_axes(out, plot);
	for (i = 0; i < plot->count; i++) {
		node = &plot->nodes[i];
		colour = plot_colours[i % PLOT_COLOURS];
		fprintf(out, "<polyline class=\"node\" data-node=\"");
		plot_text(out, node->name);
		fprintf(out, "\" fill=\"none\" stroke=\"%s\" "
		    "stroke-width=\"1.5\" points=\"", colour);
		for (k = 0; k < node->count; k++)
			fprintf(out, "%s%.1f,%.1f", k > 0 ? " " : "",
			    plot_x(plot, node->rounds[k]),
			    plot_y(plot, node->seconds[k]));
		fprintf(out, "\"/>\n<text x=\"%d\" y=\"%zu\" "
		    "font-family=\"sans-serif\" font-size=\"12\" "
		    "fill=\"%s\">", PLOT_WIDTH - PLOT_RIGHT + 12,
		    (size_t)PLOT_TOP + 10 + i * 18, colour);
		plot_text(out, node->name);
		fprintf(out, ": slowest in %zu of %zu rounds</text>\n",
		    node->slowest, node->count);
	}
	fprintf(out, "</svg>\n");
}

/* Free what plot_read() made. */
static void
plot_free(struct plot *plot)
{
	size_t	 i;

	for (i = 0; i < plot->count; i++) {
		free(plot->nodes[i].name);
		free(plot->nodes[i].rounds);
		free(plot->nodes[i].seconds);
	}
	free(plot->nodes);
}

/* creamasctl plot FILE.csv -o FILE.svg. */
int
cmd_plot(struct cluster *cluster, int argc, char **argv)
{
	struct plot	 plot;
	const char	*output = NULL;
	FILE		*out;
	char		*cause;
	int		 ch, status = 0;

	while ((ch = getopt(argc, argv, PLOT_SHORT_OPTIONS)) != -1) {
		if (ch != 'o')
			ctl_usage_command("plot");
		output = optarg;
	}
	if (optind != argc - 1 || output == NULL)
		ctl_usage_command("plot");
	memset(&plot, 0, sizeof plot);
	if (plot_read(argv[optind], &plot, &cause) != 0) {
		warnx("plot: %s", cause);
		free(cause);
		plot_free(&plot);
		return (CTL_EXIT_FAILURE);
	}
	plot_count_slowest(&plot);
	if ((out = fopen(output, "w")) == NULL) {
		warn("plot: %s", output);
		plot_free(&plot);
		return (CTL_EXIT_FAILURE);
	}
	plot_svg(out, &plot, argv[optind]);
	if (ferror(out) | (fclose(out) != 0)) {
		warn("plot: %s", output);
		status = CTL_EXIT_FAILURE;
	}
	plot_free(&plot);
	return (status);
}
