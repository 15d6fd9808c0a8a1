/* The pacer's precise timer (ptimer.c): one timerfd per thread, exported by addon.c. */
#ifndef DNSBENCH_PTIMER_H
#define DNSBENCH_PTIMER_H
#include <node_api.h>

napi_value pt_start(napi_env env, napi_callback_info info);
napi_value pt_arm(napi_env env, napi_callback_info info);
napi_value pt_disarm(napi_env env, napi_callback_info info);
napi_value pt_close(napi_env env, napi_callback_info info);

#endif
