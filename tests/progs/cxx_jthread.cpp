// Parity program: std::jthread and stop tokens. 3 jthreads wait on a
// std::condition_variable_any with their stop_token (no work ever comes):
// request_stop wakes each one, runs its stop_callback, and the wait returns
// false; a jthread polling stop_requested between sleeps is stopped and
// joined by its destructor; one std::stop_source stops several jthreads; a
// stop-aware wait_for times out when nobody asks, and returns at once when
// stop was requested before. Threads only record; main prints. Knows nothing
// of libgreen.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

#include "threaded.h"

using namespace std::chrono_literals;

namespace {

std::mutex m;
std::condition_variable_any cv;
bool work = false; // under m; never set

void stop_aware_waits()
{
    constexpr int n = 3;
    std::atomic<int> waiting{ 0 }, woke_false{ 0 }, callbacks{ 0 };
    std::atomic<bool> all_requested{ false };
    std::vector<std::jthread> t;
    for (int i = 0; i < n; i++)
        t.emplace_back([&](std::stop_token st) {
            std::stop_callback cb(st, [&] { callbacks++; });
            std::unique_lock<std::mutex> lk(m);
            waiting++;
            if (!cv.wait(lk, st, [] { return work; }))
                woke_false++;
            lk.unlock();
            // Keep cb registered until every request_stop has returned:
            // a callback removed before its stop runs never runs at all.
            while (!all_requested.load())
                std::this_thread::sleep_for(1ms);
        });
    while (waiting.load() < n)
        std::this_thread::sleep_for(1ms);
    report_tasks(); // all in the stop-aware wait (or about to be)
    std::this_thread::sleep_for(20ms);
    show("condition_variable_any::wait(stop_token): returned before the stop", woke_false.load());
    for (auto &th : t)
        yesno("request_stop", th.request_stop());
    all_requested = true;
    for (auto &th : t)
        th.join();
    show("  waits that returned false", woke_false.load());
    show("  stop_callbacks run", callbacks.load());
}

void destructor_stops()
{
    std::atomic<int> laps{ 0 };
    bool stopped = false;
    double t0 = now();
    {
        std::jthread t([&](std::stop_token st) {
            while (!st.stop_requested()) {
                std::this_thread::sleep_for(10ms);
                laps++;
            }
            stopped = true;
        });
        std::this_thread::sleep_for(100ms);
    }
    yesno("jthread destructor: requested stop and joined", stopped);
    check(now() - t0 < 1.0, "  within 1 s");
    check(laps.load() >= 1, "  the thread slept at least once");
}

void one_source()
{
    std::stop_source src;
    std::atomic<int> ended{ 0 };
    std::vector<std::jthread> t;
    for (int i = 0; i < 4; i++)
        t.emplace_back([&, tok = src.get_token()] {
            std::unique_lock<std::mutex> lk(m);
            cv.wait(lk, tok, [] { return work; });
            ended++;
        });
    std::this_thread::sleep_for(20ms);
    show("one stop_source, 4 jthreads: ended before the stop", ended.load());
    src.request_stop();
    for (auto &th : t)
        th.join();
    show("  ended after one request_stop", ended.load());

    std::unique_lock<std::mutex> lk(m);
    std::stop_source idle;
    double t0 = now();
    yesno("wait_for(stop_token, 100 ms), nobody asks: predicate",
          cv.wait_for(lk, idle.get_token(), 100ms, [] { return work; }));
    check_waited(t0, 0.1);
    t0 = now();
    yesno("wait_for(stop_token, 5 s), stop requested before: predicate",
          cv.wait_for(lk, src.get_token(), 5s, [] { return work; }));
    check(now() - t0 < 1.0, "  returned at once");
}

} // namespace

int main()
{
    start_program();
    stop_aware_waits();
    destructor_stops();
    one_source();
    return finish_program("cxx_jthread");
}
