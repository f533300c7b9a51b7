// Parity program: std::future. 8 std::async(std::launch::async) tasks each
// sleep 200 ms and return a value: they run at the same time, so all are
// done well within 8 x 200 ms; future::wait_for times out on a task still
// sleeping; a std::promise set from another thread wakes future::get; an
// exception crosses a future; 4 threads wait on one std::shared_future; a
// std::packaged_task runs in a std::thread. Threads only record; main
// prints. Knows nothing of libgreen.
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

#include "threaded.h"

using namespace std::chrono_literals;

namespace {

void parallel()
{
    constexpr int tasks = 8;
    double t0 = now();
    std::vector<std::future<int>> f;
    for (int i = 0; i < tasks; i++)
        f.push_back(std::async(std::launch::async, [i] {
            std::this_thread::sleep_for(200ms);
            return i * i;
        }));
    report_tasks(); // all sleeping
    int sum = 0;
    for (auto &x : f)
        sum += x.get();
    double dt = now() - t0;
    printf("%d async tasks of 200 ms: sum of results %d\n", tasks, sum);
    check(dt >= 0.2 && dt < 1.0, "  done within 1 s: they ran at the same time");
}

void timeouts()
{
    auto slow = std::async(std::launch::async, [] {
        std::this_thread::sleep_for(300ms);
        return 42;
    });
    double t0 = now();
    yesno("future::wait_for(50 ms) on a task of 300 ms: timeout",
          slow.wait_for(50ms) == std::future_status::timeout);
    check_waited(t0, 0.05);
    yesno("future::wait_until(steady_clock + 20 ms): timeout",
          slow.wait_until(std::chrono::steady_clock::now() + 20ms) == std::future_status::timeout);
    show("future::get", slow.get());

    std::promise<int> p;
    std::future<int> pf = p.get_future();
    std::thread setter([&p] {
        std::this_thread::sleep_for(50ms);
        p.set_value(7);
    });
    show("future::get of a promise set after 50 ms by a thread", pf.get());
    setter.join();

    auto thrower = std::async(std::launch::async, []() -> int { throw std::runtime_error("from the task"); });
    try {
        thrower.get();
        printf("exception through future::get: none\n");
    } catch (const std::runtime_error &e) {
        printf("exception through future::get: %s\n", e.what());
    }
    yesno("future::valid after get", thrower.valid());
}

void shared()
{
    std::promise<int> p;
    std::shared_future<int> sf = p.get_future().share();
    std::vector<std::future<int>> waiters;
    for (int i = 0; i < 4; i++)
        waiters.push_back(std::async(std::launch::async, [sf, i] { return sf.get() + i; }));
    std::this_thread::sleep_for(20ms);
    p.set_value(100);
    int sum = 0;
    for (auto &w : waiters)
        sum += w.get();
    show("4 threads waiting on one shared_future (100 + i): sum", sum);

    std::packaged_task<int(int)> task([](int x) { return x * 3; });
    std::future<int> tf = task.get_future();
    std::thread t(std::move(task), 14);
    show("packaged_task(14 * 3) in a std::thread", tf.get());
    t.join();
}

} // namespace

int main()
{
    start_program();
    parallel();
    timeouts();
    shared();
    return finish_program("cxx_async");
}
