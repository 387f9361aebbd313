# unreached.awk — groups the lines no corpus input reached under the
# reason tests/fuzz/coverage-reasons.txt gives for them.
#
# Usage: awk -f unreached.awk REASONS LINES
#   REASONS  lines "FILE:FIRST-LAST reason" or "FILE:LINE reason"; '#'
#            starts a comment line
#   LINES    lines "FILE:LINE: source text", one per unreached line
#
# Prints each reason with its count and lines (entries with the same
# reason text share one group; groups in the order their first line
# comes), then the lines no annotation covers under "no reason yet",
# then the annotations that cover no unreached line (the code moved or is
# reached now: the annotation is out of date), and last one line:
#   unreached: T lines, A with a reason, N with no reason yet, S stale annotations
FNR == NR {
    if ($0 ~ /^[ \t]*(#|$)/)
        next
    if (!match($0, /^[^ \t:]+:[0-9]+(-[0-9]+)?[ \t]+/)) {
        printf "%s:%d: not FILE:FIRST-LAST reason: %s\n", FILENAME, FNR, $0 > "/dev/stderr"
        bad = 1
        exit 1
    }
    head = substr($0, 1, RLENGTH)
    sub(/[ \t]+$/, "", head)
    n++
    afile[n] = head
    sub(/:[0-9-]+$/, "", afile[n])
    range = substr(head, length(afile[n]) + 2)
    split(range, lim, "-")
    afirst[n] = lim[1] + 0
    alast[n] = (2 in lim) ? lim[2] + 0 : afirst[n]
    delete lim
    areason[n] = substr($0, RLENGTH + 1)
    aplace[n] = FILENAME ":" FNR
    next
}
{
    total++
    split($0, part, ":")
    file = part[1]
    line = part[2] + 0
    for (i = 1; i <= n; i++)
        if (afile[i] == file && line >= afirst[i] && line <= alast[i])
            break
    if (i <= n) {
        used[i]++
        reasoned++
        # Annotations with the same reason text share one group.
        if (!(areason[i] in group)) {
            group[areason[i]] = ++ngroups
            gname[ngroups] = areason[i]
        }
        g = group[areason[i]]
        glines[g] = glines[g] "  " $0 "\n"
        gcount[g]++
    } else {
        none = none "  " $0 "\n"
        nnone++
    }
}
END {
    if (bad)
        exit 1
    for (g = 1; g <= ngroups; g++)
        printf "%s (%d lines)\n%s\n", gname[g], gcount[g], glines[g]
    if (nnone)
        printf "no reason yet (%d lines)\n%s\n", nnone, none
    for (i = 1; i <= n; i++)
        if (!used[i]) {
            printf "stale annotation (%s): %s:%d-%d covers no unreached line\n", aplace[i],
                afile[i], afirst[i], alast[i]
            stale++
        }
    printf "unreached: %d lines, %d with a reason, %d with no reason yet, %d stale annotations\n",
        total, reasoned, nnone, stale
}
