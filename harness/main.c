/* splitbed — the command line: a toolstack for the simulator. */
#include "cli.h"
#include "layout.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: splitbed COMMAND [ARGS]\n"
    "  hv start  [--dir DIR]           start a simulator (hypervisor + xenstored); prints DIR\n"
    "  hv stop   [--dir DIR]           stop it\n"
    "  hv status [--dir DIR]           domains, grants, mappings, ports\n"
    "  exec [--dir DIR] --domain N [--name NAME] -- CMD [ARGS]\n"
    "                                  run CMD as a process of domain N (created if needed)\n"
    "  domain [--dir DIR] list | pause|unpause|shutdown|destroy DOM\n"
    "                                  a domain's lifecycle, as xl's commands (DOM: id or name)\n"
    "  run [--disk SPEC]... [--vif SPEC]... [--config FILE] [--backend-opt K=V]...\n"
    "      [--netback-opt K=V]... [--dir DIR] [--domain N] [--timeout SECONDS]\n"
    "      [--fault SPEC]... [--seed N] [-q] -- APP [ARGS]\n"
    "                                  run a guest app as domain N (default 1) against\n"
    "                                  userspace backends; exit status: the app's own, 1 a\n"
    "                                  backend failed or --timeout passed, 2 bad usage,\n"
    "                                  128+N the app was killed by signal N\n"
    "  block-attach [--dir DIR] [--backend-opt K=V]... DOM DISKSPEC\n"
    "  block-detach [--dir DIR] DOM VDEV\n"
    "  block-list [--dir DIR] DOM\n"
    "  network-attach [--dir DIR] [--netback-opt K=V]... DOM VIFSPEC\n"
    "  network-detach [--dir DIR] DOM DEVID\n"
    "  network-list [--dir DIR] DOM\n"
    "                                  hot-plug on a running simulator, as xl does it\n"
    "  fault [--dir DIR] [--seed N] DOM SPEC\n"
    "                                  a fault for domain DOM on a running simulator\n"
    "  replay FILE|--seed N [--trace] [--bug NAME]\n"
    "                                  replay one schedule of the seeded in-process world\n"
    "                                  (a fuzz_interleave_blk crash file, or a seed)\n"
    "  qubesdb [--dir DIR] DOM read|write|rm|list|multiread PATH [VALUE]\n"
    "                                  a Qubes VM's QubesDB, from dom0, while the VM runs\n"
    "  qrexec [--dir DIR] DOM SERVICE[+ARG] [--user USER]\n"
    "                                  run a qrexec service in a Qubes VM: stdin, stdout, exit "
    "code\n"
    "DIR defaults to $SPLITBED_DIR, else $XDG_RUNTIME_DIR/splitbed, else /tmp/splitbed-$UID.\n"
    "splitbed COMMAND --help says more; so do the manual pages splitbed(1) and\n"
    "splitbed-COMMAND(1).\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (layout_init() != 0)
        return EXIT_FAIL;
    if (!strcmp(argv[1], "hv"))
        return cmd_hv(argc - 1, argv + 1);
    if (!strcmp(argv[1], "domain"))
        return cmd_domain(argc - 1, argv + 1);
    if (!strcmp(argv[1], "exec"))
        return cmd_exec(argc - 1, argv + 1);
    if (!strcmp(argv[1], "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(argv[1], "qrexec"))
        return cmd_qrexec(argc - 1, argv + 1);
    if (!strcmp(argv[1], "qubesdb"))
        return cmd_qubesdb(argc - 1, argv + 1);
    if (!strcmp(argv[1], "replay"))
        return cmd_replay(argc - 1, argv + 1);
    if (!strcmp(argv[1], "fault"))
        return cmd_fault(argc - 1, argv + 1);
    if (cli_is_hotplug(argv[1]))
        return cmd_hotplug(argc - 1, argv + 1);
    fprintf(stderr, "splitbed: unknown command '%s' (try: splitbed --help)\n", argv[1]);
    return EXIT_USAGE;
}
