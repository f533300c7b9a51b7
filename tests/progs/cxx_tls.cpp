// Parity program: C++ thread_local. 16 std::threads each fill their own
// thread_local object (with a counted constructor and destructor) and,
// after sleeping while the others run, find it as they left it. Each
// destructor runs at its thread's exit, on that thread (it sees the
// thread's other thread_local values). An exception caught in each
// thread stays that thread's across a sleep (libstdc++ keeps the caught
// exceptions in TLS). Knows nothing of libgreen.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "threaded.h"
}

static const int workers = 16;
static std::atomic<int> ctors{0}, dtors{0}, dtor_on_own{0};
static thread_local int who = -1;

struct Obj {
    std::string text;
    std::vector<int> data;
    int id = -1;
    Obj() { ctors++; }
    ~Obj()
    {
        dtors++;
        if (id >= 0 && who == id)
            dtor_on_own++;
    }
};
static thread_local Obj obj;

static void nap(int ms)
{
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

static int work(int i)
{
    who = i;
    obj.id = i;
    obj.text = "thread " + std::to_string(i);
    obj.data.assign(100, i);
    nap(20 + (workers - i) * 2);
    int ok = obj.id == i && obj.text == "thread " + std::to_string(i) &&
             obj.data.size() == 100 && obj.data[99] == i;
    try {
        throw std::runtime_error("from " + std::to_string(i));
    } catch (const std::exception &) {
        nap(10);  // others throw and catch meanwhile
        try {
            throw;  // the exception being handled: this thread's
        } catch (const std::exception &e) {
            ok &= e.what() == "from " + std::to_string(i);
        }
    }
    ok &= std::uncaught_exceptions() == 0;
    return ok;
}

int main()
{
    start_program();
    std::vector<int> ok(workers);
    std::vector<std::thread> threads;
    for (int i = 0; i < workers; i++)
        threads.emplace_back([i, &ok] { ok[i] = work(i); });
    nap(5);
    report_tasks();
    for (auto &t : threads)
        t.join();
    for (int i = 0; i < workers; i++)
        printf("thread %d: its object and exception kept: %s\n", i,
               ok[i] ? "yes" : "NO");
    printf("constructors %d, destructors %d, on their own thread %d\n",
           ctors.load(), dtors.load(), dtor_on_own.load());
    check(ctors == workers && dtors == workers && dtor_on_own == workers,
          "one object per thread, destroyed at its exit");
    for (int i = 0; i < workers; i++)
        failures += !ok[i];
    check(who == -1, "main's thread_local is its own");
    return finish_program("cxx_tls");
}
