// Parity program: std::thread with std::mutex and std::condition_variable.
// A work queue: 4 worker threads wait on a condition variable for jobs,
// main pushes 2000 and then says it is done; every job is done exactly once.
// Then condition_variable wait_for and wait_until timeouts (and a wait_for
// that a notify ends early), this_thread::sleep_for, thread ids,
// std::timed_mutex try_lock_for against another thread's lock, and a
// std::shared_mutex that 4 readers hold at once (they meet at a latch). Threads only record; main
// prints. Knows nothing of libgreen.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <latch>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "threaded.h"

using namespace std::chrono_literals;

namespace {

constexpr int workers = 4;
constexpr int jobs = 2000;

std::mutex m;
std::condition_variable cv;
std::deque<int> queue; // under m
bool closed = false;   // under m: no more jobs
std::vector<int> done_count(jobs); // times each job was done

void worker(long *sum)
{
    for (;;) {
        std::unique_lock<std::mutex> lk(m);
        cv.wait(lk, [] { return !queue.empty() || closed; });
        if (queue.empty())
            return;
        int job = queue.front();
        queue.pop_front();
        lk.unlock();
        done_count[job]++;
        *sum += job;
    }
}

void work_queue()
{
    std::vector<std::thread> t;
    long sums[workers] = {};
    for (int i = 0; i < workers; i++)
        t.emplace_back(worker, &sums[i]);
    report_tasks(); // all waiting for the first job
    for (int j = 0; j < jobs; j++) {
        std::lock_guard<std::mutex> lk(m);
        queue.push_back(j);
        cv.notify_one();
    }
    {
        std::lock_guard<std::mutex> lk(m);
        closed = true;
    }
    cv.notify_all();
    for (auto &th : t)
        th.join();
    long sum = 0;
    int wrong = 0;
    for (int i = 0; i < workers; i++)
        sum += sums[i];
    for (int j = 0; j < jobs; j++)
        wrong += done_count[j] != 1;
    printf("%d workers, %d jobs: sum %ld, jobs not done exactly once %d\n", workers, jobs, sum, wrong);
}

void timeouts()
{
    std::unique_lock<std::mutex> lk(m);
    double t0 = now();
    yesno("condition_variable::wait_for(100 ms) timed out", cv.wait_for(lk, 100ms) == std::cv_status::timeout);
    check_waited(t0, 0.1);
    t0 = now();
    yesno("wait_until(steady_clock + 100 ms, predicate false) returned false",
          !cv.wait_until(lk, std::chrono::steady_clock::now() + 100ms, [] { return false; }));
    check_waited(t0, 0.1);
    t0 = now();
    yesno("wait_until(system_clock + 100 ms) timed out",
          cv.wait_until(lk, std::chrono::system_clock::now() + 100ms) == std::cv_status::timeout);
    check_waited(t0, 0.1);

    bool flag = false;
    std::thread notifier([&] {
        std::this_thread::sleep_for(50ms);
        std::lock_guard<std::mutex> g(m);
        flag = true;
        cv.notify_all();
    });
    yesno("wait_for(5 s, predicate) notified after 50 ms returned true", cv.wait_for(lk, 5s, [&] { return flag; }));
    lk.unlock();
    notifier.join();

    t0 = now();
    std::this_thread::sleep_for(50ms);
    check_waited(t0, 0.05);
}

void ids()
{
    std::thread::id seen;
    std::thread t([&] { seen = std::this_thread::get_id(); });
    std::thread::id id = t.get_id();
    t.join();
    yesno("this_thread::get_id in the thread equals thread::get_id", seen == id);
    yesno("and differs from main's", seen != std::this_thread::get_id());
    yesno("a joined thread's get_id is id()", t.get_id() == std::thread::id());
}

void other_locks()
{
    std::timed_mutex tm;
    tm.lock();
    bool got = true;
    double took = 0;
    std::thread([&] {
        double t0 = now();
        got = tm.try_lock_for(100ms);
        took = now() - t0;
    }).join();
    yesno("other thread: timed_mutex::try_lock_for(100 ms) on a held lock got it", got);
    check(took >= 0.1 && took < 1.6, "  other thread: waited the whole timeout");
    tm.unlock();

    // If the readers could not share the lock, they would never all arrive.
    std::shared_mutex sm;
    std::latch all_in(4);
    std::vector<std::thread> readers;
    for (int i = 0; i < 4; i++)
        readers.emplace_back([&] {
            std::shared_lock<std::shared_mutex> r(sm);
            all_in.arrive_and_wait();
        });
    for (auto &th : readers)
        th.join();
    printf("shared_mutex: 4 readers held it at once\n");
    yesno("shared_mutex::try_lock after they left", sm.try_lock());
    sm.unlock();
}

} // namespace

int main()
{
    start_program();
    work_queue();
    timeouts();
    ids();
    other_locks();
    return finish_program("cxx_thread");
}
