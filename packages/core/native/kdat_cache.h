#ifndef CRAC_KDAT_CACHE_H
#define CRAC_KDAT_CACHE_H

/* In the restore namespace's PID 1, before CRIU: a tmpfs on /run, with the cached probes when valid. 0, or -1 once it has said why. */
int kdat_cache_prepare(void);

/* As CRIU's --action-script: at pre-restore, save fresh probes to the cache and unmount the tmpfs. The exit status. */
int kdat_cache_action(const char *action);

#endif
