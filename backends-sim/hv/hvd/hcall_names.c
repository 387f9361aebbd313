/*
 * hcall_names.c — hypercall and sub-op names for trace lines, spelled
 * by Xen's own macros.
 */
#include "backends-sim/hv/hvd/hcall.h"

#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/version.h>

#define N(x) [x] = #x
#define LOOKUP(table, i) ((i) < sizeof(table) / sizeof(table[0]) && table[i] ? table[i] : "unknown")

static const char *const hypercalls[] = {
    N(__HYPERVISOR_set_trap_table),
    N(__HYPERVISOR_mmu_update),
    N(__HYPERVISOR_set_gdt),
    N(__HYPERVISOR_stack_switch),
    N(__HYPERVISOR_set_callbacks),
    N(__HYPERVISOR_fpu_taskswitch),
    N(__HYPERVISOR_sched_op_compat),
    N(__HYPERVISOR_platform_op),
    N(__HYPERVISOR_set_debugreg),
    N(__HYPERVISOR_get_debugreg),
    N(__HYPERVISOR_update_descriptor),
    N(__HYPERVISOR_memory_op),
    N(__HYPERVISOR_multicall),
    N(__HYPERVISOR_update_va_mapping),
    N(__HYPERVISOR_set_timer_op),
    N(__HYPERVISOR_event_channel_op_compat),
    N(__HYPERVISOR_xen_version),
    N(__HYPERVISOR_console_io),
    N(__HYPERVISOR_physdev_op_compat),
    N(__HYPERVISOR_grant_table_op),
    N(__HYPERVISOR_vm_assist),
    N(__HYPERVISOR_update_va_mapping_otherdomain),
    N(__HYPERVISOR_iret),
    N(__HYPERVISOR_vcpu_op),
    N(__HYPERVISOR_set_segment_base),
    N(__HYPERVISOR_mmuext_op),
    N(__HYPERVISOR_xsm_op),
    N(__HYPERVISOR_nmi_op),
    N(__HYPERVISOR_sched_op),
    N(__HYPERVISOR_callback_op),
    N(__HYPERVISOR_xenoprof_op),
    N(__HYPERVISOR_event_channel_op),
    N(__HYPERVISOR_physdev_op),
    N(__HYPERVISOR_hvm_op),
    N(__HYPERVISOR_sysctl),
    N(__HYPERVISOR_domctl),
    N(__HYPERVISOR_kexec_op),
    N(__HYPERVISOR_tmem_op),
    N(__HYPERVISOR_argo_op),
    N(__HYPERVISOR_xenpmu_op),
    N(__HYPERVISOR_dm_op),
    N(__HYPERVISOR_hypfs_op),
};

static const char *const domctls[] = {
    N(XEN_DOMCTL_createdomain),
    N(XEN_DOMCTL_destroydomain),
    N(XEN_DOMCTL_pausedomain),
    N(XEN_DOMCTL_unpausedomain),
    N(XEN_DOMCTL_getdomaininfo),
    N(XEN_DOMCTL_setvcpuaffinity),
    N(XEN_DOMCTL_shadow_op),
    N(XEN_DOMCTL_max_mem),
    N(XEN_DOMCTL_setvcpucontext),
    N(XEN_DOMCTL_getvcpucontext),
    N(XEN_DOMCTL_getvcpuinfo),
    N(XEN_DOMCTL_max_vcpus),
    N(XEN_DOMCTL_scheduler_op),
    N(XEN_DOMCTL_setdomainhandle),
    N(XEN_DOMCTL_setdebugging),
    N(XEN_DOMCTL_irq_permission),
    N(XEN_DOMCTL_iomem_permission),
    N(XEN_DOMCTL_ioport_permission),
    N(XEN_DOMCTL_hypercall_init),
    N(XEN_DOMCTL_settimeoffset),
    N(XEN_DOMCTL_getvcpuaffinity),
    N(XEN_DOMCTL_resumedomain),
    N(XEN_DOMCTL_sendtrigger),
    N(XEN_DOMCTL_subscribe),
    N(XEN_DOMCTL_gethvmcontext),
    N(XEN_DOMCTL_sethvmcontext),
    N(XEN_DOMCTL_set_address_size),
    N(XEN_DOMCTL_get_address_size),
    N(XEN_DOMCTL_assign_device),
    N(XEN_DOMCTL_bind_pt_irq),
    N(XEN_DOMCTL_memory_mapping),
    N(XEN_DOMCTL_ioport_mapping),
    N(XEN_DOMCTL_set_ext_vcpucontext),
    N(XEN_DOMCTL_get_ext_vcpucontext),
    N(XEN_DOMCTL_test_assign_device),
    N(XEN_DOMCTL_set_target),
    N(XEN_DOMCTL_deassign_device),
    N(XEN_DOMCTL_unbind_pt_irq),
    N(XEN_DOMCTL_get_device_group),
    N(XEN_DOMCTL_debug_op),
    N(XEN_DOMCTL_gethvmcontext_partial),
    N(XEN_DOMCTL_vm_event_op),
    N(XEN_DOMCTL_mem_sharing_op),
    N(XEN_DOMCTL_gettscinfo),
    N(XEN_DOMCTL_settscinfo),
    N(XEN_DOMCTL_getpageframeinfo3),
    N(XEN_DOMCTL_setvcpuextstate),
    N(XEN_DOMCTL_getvcpuextstate),
    N(XEN_DOMCTL_set_access_required),
    N(XEN_DOMCTL_audit_p2m),
    N(XEN_DOMCTL_set_virq_handler),
    N(XEN_DOMCTL_set_broken_page_p2m),
    N(XEN_DOMCTL_setnodeaffinity),
    N(XEN_DOMCTL_getnodeaffinity),
    N(XEN_DOMCTL_cacheflush),
    N(XEN_DOMCTL_get_vcpu_msrs),
    N(XEN_DOMCTL_set_vcpu_msrs),
    N(XEN_DOMCTL_setvnumainfo),
    N(XEN_DOMCTL_psr_cmt_op),
    N(XEN_DOMCTL_monitor_op),
    N(XEN_DOMCTL_psr_alloc),
    N(XEN_DOMCTL_soft_reset),
    N(XEN_DOMCTL_vuart_op),
    N(XEN_DOMCTL_get_cpu_policy),
    N(XEN_DOMCTL_set_cpu_policy),
    N(XEN_DOMCTL_vmtrace_op),
    N(XEN_DOMCTL_get_paging_mempool_size),
    N(XEN_DOMCTL_set_paging_mempool_size),
};

static const char *const sysctls[] = {
    N(XEN_SYSCTL_readconsole),
    N(XEN_SYSCTL_tbuf_op),
    N(XEN_SYSCTL_physinfo),
    N(XEN_SYSCTL_sched_id),
    N(XEN_SYSCTL_perfc_op),
    N(XEN_SYSCTL_getdomaininfolist),
    N(XEN_SYSCTL_debug_keys),
    N(XEN_SYSCTL_getcpuinfo),
    N(XEN_SYSCTL_availheap),
    N(XEN_SYSCTL_get_pmstat),
    N(XEN_SYSCTL_cpu_hotplug),
    N(XEN_SYSCTL_pm_op),
    N(XEN_SYSCTL_page_offline_op),
    N(XEN_SYSCTL_lockprof_op),
    N(XEN_SYSCTL_cputopoinfo),
    N(XEN_SYSCTL_numainfo),
    N(XEN_SYSCTL_cpupool_op),
    N(XEN_SYSCTL_scheduler_op),
    N(XEN_SYSCTL_coverage_op),
    N(XEN_SYSCTL_psr_cmt_op),
    N(XEN_SYSCTL_pcitopoinfo),
    N(XEN_SYSCTL_psr_alloc),
    N(XEN_SYSCTL_get_cpu_levelling_caps),
    N(XEN_SYSCTL_get_cpu_featureset),
    N(XEN_SYSCTL_livepatch_op),
    N(XEN_SYSCTL_get_cpu_policy),
};

static const char *const evtchnops[] = {
    N(EVTCHNOP_bind_interdomain),
    N(EVTCHNOP_bind_virq),
    N(EVTCHNOP_bind_pirq),
    N(EVTCHNOP_close),
    N(EVTCHNOP_send),
    N(EVTCHNOP_status),
    N(EVTCHNOP_alloc_unbound),
    N(EVTCHNOP_bind_ipi),
    N(EVTCHNOP_bind_vcpu),
    N(EVTCHNOP_unmask),
    N(EVTCHNOP_reset),
    N(EVTCHNOP_init_control),
    N(EVTCHNOP_expand_array),
    N(EVTCHNOP_set_priority),
};

static const char *const schedops[] = {
    N(SCHEDOP_yield),    N(SCHEDOP_block),           N(SCHEDOP_shutdown),
    N(SCHEDOP_poll),     N(SCHEDOP_remote_shutdown), N(SCHEDOP_shutdown_code),
    N(SCHEDOP_watchdog), N(SCHEDOP_pin_override),
};

static const char *const memops[] = {
    N(XENMEM_increase_reservation),
    N(XENMEM_decrease_reservation),
    N(XENMEM_maximum_ram_page),
    N(XENMEM_current_reservation),
    N(XENMEM_maximum_reservation),
    N(XENMEM_machphys_mfn_list),
    N(XENMEM_populate_physmap),
    N(XENMEM_add_to_physmap),
    N(XENMEM_memory_map),
    N(XENMEM_machine_memory_map),
    N(XENMEM_exchange),
    N(XENMEM_machphys_mapping),
    N(XENMEM_set_memory_map),
    N(XENMEM_maximum_gpfn),
    N(XENMEM_remove_from_physmap),
    N(XENMEM_set_pod_target),
    N(XENMEM_get_pod_target),
    N(XENMEM_get_sharing_freed_pages),
    N(XENMEM_get_sharing_shared_pages),
    N(XENMEM_paging_op),
    N(XENMEM_access_op),
    N(XENMEM_sharing_op),
    N(XENMEM_add_to_physmap_batch),
    N(XENMEM_claim_pages),
    N(XENMEM_machphys_compat_mfn_list),
    N(XENMEM_get_vnumainfo),
    N(XENMEM_reserved_device_memory_map),
    N(XENMEM_acquire_resource),
};

static const char *const xenvers[] = {
    N(XENVER_version),      N(XENVER_extraversion), N(XENVER_compile_info),
    N(XENVER_capabilities), N(XENVER_changeset),    N(XENVER_platform_parameters),
    N(XENVER_get_features), N(XENVER_pagesize),     N(XENVER_guest_handle),
    N(XENVER_commandline),  N(XENVER_build_id),
};

const char *hc_hypercall_name(unsigned op)
{
    return LOOKUP(hypercalls, op);
}

const char *hc_domctl_name(unsigned cmd)
{
    switch (cmd) {
    case XEN_DOMCTL_gdbsx_guestmemio: return "XEN_DOMCTL_gdbsx_guestmemio";
    case XEN_DOMCTL_gdbsx_pausevcpu: return "XEN_DOMCTL_gdbsx_pausevcpu";
    case XEN_DOMCTL_gdbsx_unpausevcpu: return "XEN_DOMCTL_gdbsx_unpausevcpu";
    case XEN_DOMCTL_gdbsx_domstatus: return "XEN_DOMCTL_gdbsx_domstatus";
    }
    return LOOKUP(domctls, cmd);
}

const char *hc_sysctl_name(unsigned cmd)
{
    return LOOKUP(sysctls, cmd);
}

const char *hc_evtchnop_name(unsigned cmd)
{
    return LOOKUP(evtchnops, cmd);
}

const char *hc_schedop_name(unsigned cmd)
{
    return LOOKUP(schedops, cmd);
}

const char *hc_xenver_name(unsigned cmd)
{
    return LOOKUP(xenvers, cmd);
}

const char *hc_memop_name(unsigned cmd)
{
    return LOOKUP(memops, cmd);
}
