/* bench_result.c — appends a figure as one JSON line (see bench_result.h). */
#include "tests/bench/bench_result.h"

#include <stdio.h>
#include <stdlib.h>

/* Names and units are ours, but quote what JSON requires all the same. */
static void put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

int bench_result(const struct bench_figure *b)
{
    const char *path = getenv("SPLITBED_BENCH_RESULTS");
    if (!path || !*path)
        return 0;
    FILE *f = fopen(path, "a");
    if (!f) {
        perror(path);
        return -1;
    }
    fputs("{\"name\": ", f);
    put_string(f, b->name);
    fprintf(f, ", \"value\": %.6g, \"unit\": ", b->value);
    put_string(f, b->unit);
    if (b->baseline) {
        fputs(", \"baseline\": ", f);
        put_string(f, b->baseline);
        fprintf(f, ", \"base_value\": %.6g, \"base_unit\": ", b->base_value);
        put_string(f, b->base_unit);
        fprintf(f, ", \"ratio\": %.4g, \"goal\": ", b->ratio);
    } else {
        fputs(", \"baseline\": null, \"base_value\": null, \"base_unit\": null, "
              "\"ratio\": null, \"goal\": ",
              f);
    }
    if (b->baseline && b->goal)
        put_string(f, b->goal);
    else
        fputs("null", f);
    fputs("}\n", f);
    return fclose(f) == 0 ? 0 : -1;
}
