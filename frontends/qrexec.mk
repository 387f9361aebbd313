# qrexec: its messages and framing, and the VM's agent
# (frontends/qrexec_agent.h).  dom0's splitbed-qrexec uses the framing.
QREXEC_SRCS := frontends/qrexec_proto.c frontends/qrexec_agent.c
FRONTEND_SRCS += $(QREXEC_SRCS)
INSTALL_HEADERS += frontends/qrexec_proto.h frontends/qrexec_agent.h

# qrexec-vm: a VM that only answers qrexec (tests, interop with Qubes' daemon).
GUEST_APPS += qrexec-vm
APP_SRCS_qrexec-vm := frontends/apps/qrexec_vm.c
FREESTANDING_SRCS += frontends/apps/qrexec_vm.c
