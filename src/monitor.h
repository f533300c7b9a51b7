/* The blocking monitor (GREEN_MAX_BLOCKING_MS=N, off by default): a real
 * OS thread, made only when enabled, that notices a hub whose current
 * green thread has run more than N ms without a switch while other green
 * threads are ready or a deadline has passed, as gevent's monitor thread
 * and seastar's stall reports do. It reports each episode once, at most
 * one report a second, with the thread, how long, and a hint (the system
 * call its OS thread is blocked in, from /proc, or "computing"). Hubs
 * publish their switch count with one relaxed atomic store per switch;
 * the monitor samples it every N/4 ms, so its times are within that. */
#ifndef GREEN_SRC_MONITOR_H
#define GREEN_SRC_MONITOR_H

/* Starts the monitor thread, once, if GREEN_MAX_BLOCKING_MS is set.
 * Called when a hub is made and when a thread is spawned (cheap once
 * started). */
void green__monitor_setup(void);

/* In a fork's child, which has no monitor thread: the next spawn starts
 * one. Not now: the child of _Fork may only make async-signal-safe
 * calls, and a child with one thread has nothing to monitor. */
void green__monitor_fork_child(void);

#endif
