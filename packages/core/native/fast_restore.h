#ifndef CRAC_FAST_RESTORE_H
#define CRAC_FAST_RESTORE_H

/*
 * `crac-restore`: `crac restore <argv>` from the image's plan, without Node;
 * hands over to `node <crac_js> restore <argv>` whenever it cannot. The exit code.
 */
int fast_restore(const char *crac_js, int argc, char **argv);

#endif
