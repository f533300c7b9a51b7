// Parity program: the C++20 synchronisation types between std::threads.
// std::latch: 6 threads count down and wait, main waits, then counts the
// OS threads while they wait for it at a second latch; std::barrier: 4
// threads through 5 phases, its completion function checking each phase;
// std::counting_semaphore<3> lets 3 of 8 threads in at a time, and
// try_acquire_for times out when none is free; a binary_semaphore
// ping-pong; std::atomic wait and notify_one/notify_all. Threads only
// record; main prints. Knows nothing of libgreen.
#include <atomic>
#include <barrier>
#include <chrono>
#include <latch>
#include <semaphore>
#include <thread>
#include <vector>

#include "threaded.h"

using namespace std::chrono_literals;

namespace {

void latches()
{
    constexpr int n = 6;
    std::latch ready(n), go(1), finished(n + 1);
    std::atomic<int> passed{ 0 };
    std::vector<std::thread> t;
    for (int i = 0; i < n; i++)
        t.emplace_back([&] {
            ready.count_down();
            go.wait();
            passed++;
            finished.arrive_and_wait();
        });
    ready.wait();
    report_tasks(); // all waiting for go
    show("latch: threads past go before it opened", passed.load());
    go.count_down();
    finished.arrive_and_wait();
    show("latch: threads past go after", passed.load());
    yesno("latch::try_wait on a spent latch", finished.try_wait());
    for (auto &th : t)
        th.join();
}

void barriers()
{
    constexpr int n = 4, phases = 5;
    int slot[n] = {};
    int phase = 0, good = 0;
    auto completion = [&]() noexcept {
        int sum = 0;
        for (int i = 0; i < n; i++)
            sum += slot[i];
        good += sum == n * (phase + 1);
        phase++;
    };
    std::barrier b(n, completion);
    std::vector<std::thread> t;
    for (int i = 0; i < n; i++)
        t.emplace_back([&, i] {
            for (int p = 0; p < phases; p++) {
                slot[i] = p + 1;
                b.arrive_and_wait();
            }
        });
    for (auto &th : t)
        th.join();
    printf("barrier: %d threads, %d phases, completion ran %d times, found all slots filled %d times\n", n,
           phases, phase, good);
}

void semaphores()
{
    std::counting_semaphore<3> room(3);
    std::latch start(8);
    std::atomic<int> inside{ 0 }, most{ 0 };
    std::vector<std::thread> t;
    for (int i = 0; i < 8; i++)
        t.emplace_back([&] {
            start.arrive_and_wait();
            room.acquire();
            int now_in = ++inside;
            int seen = most.load();
            while (now_in > seen && !most.compare_exchange_weak(seen, now_in)) {
            }
            std::this_thread::sleep_for(100ms);
            --inside;
            room.release();
        });
    for (auto &th : t)
        th.join();
    show("counting_semaphore<3>, 8 threads holding it 100 ms: most inside at once", most.load());

    std::counting_semaphore<3> none(0);
    double t0 = now();
    yesno("counting_semaphore::try_acquire_for(100 ms) with none free", none.try_acquire_for(100ms));
    check_waited(t0, 0.1);
    yesno("counting_semaphore::try_acquire with none free", none.try_acquire());
    none.release(2);
    yesno("try_acquire after release(2)", none.try_acquire());

    std::binary_semaphore ping(0), pong(0);
    constexpr int rounds = 1000;
    int there = 0;
    std::thread ponger([&] {
        for (int i = 0; i < rounds; i++) {
            ping.acquire();
            there++;
            pong.release();
        }
    });
    for (int i = 0; i < rounds; i++) {
        ping.release();
        pong.acquire();
    }
    ponger.join();
    printf("binary_semaphore ping-pong: %d rounds\n", there);
}

void atomics()
{
    std::atomic<int> flag{ 0 };
    std::atomic<int> woke{ 0 };
    std::vector<std::thread> t;
    for (int i = 0; i < 4; i++)
        t.emplace_back([&] {
            flag.wait(0);
            woke++;
        });
    std::this_thread::sleep_for(20ms);
    show("atomic::wait: woken before the store", woke.load());
    flag = 1;
    flag.notify_all();
    for (auto &th : t)
        th.join();
    show("atomic::wait: woken by one notify_all", woke.load());

    constexpr int rounds = 1000;
    std::atomic<int> turn{ 0 }; // even: main's turn, odd: the other's
    auto take_turns = [&turn](int mine) {
        for (int i = 0; i < rounds; i++) {
            int v;
            while ((v = turn.load()) % 2 != mine)
                turn.wait(v);
            turn = v + 1;
            turn.notify_one();
        }
    };
    std::thread other(take_turns, 1);
    take_turns(0);
    other.join();
    show("atomic wait/notify_one ping-pong: turns", turn.load());
}

} // namespace

int main()
{
    start_program();
    latches();
    barriers();
    semaphores();
    atomics();
    return finish_program("cxx_sync");
}
