// Parity program: Rust's std::thread, which keeps the current thread, its
// name and park token, and every thread_local! in TLS. Eight named
// threads set a thread_local!, sleep while the others run, and check it;
// they report over an mpsc channel, count under a Mutex with a Condvar,
// and one more thread parks until main unparks it. Knows nothing of
// libgreen.
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

thread_local!(static ID: Cell<usize> = Cell::new(usize::MAX));
thread_local!(static LOG: RefCell<Vec<usize>> = RefCell::new(Vec::new()));

// Counts its drops: a thread_local! value is dropped as its thread exits.
struct Noisy;
impl Drop for Noisy {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}
static DROPPED: AtomicUsize = AtomicUsize::new(0);
thread_local!(static NOISY: RefCell<Option<Noisy>> = RefCell::new(None));

fn main() {
    let (tx, rx) = mpsc::channel();
    let pair = Arc::new((Mutex::new(0usize), Condvar::new()));
    let mut handles = vec![];
    for i in 0..8 {
        let tx = tx.clone();
        let pair = pair.clone();
        let h = thread::Builder::new()
            .name(format!("worker-{}", i))
            .spawn(move || {
                ID.with(|c| c.set(i));
                LOG.with(|l| l.borrow_mut().push(i));
                NOISY.with(|n| *n.borrow_mut() = Some(Noisy));
                thread::sleep(Duration::from_millis(10 * (8 - i as u64)));
                let id = ID.with(|c| c.get());
                let log = LOG.with(|l| l.borrow().clone());
                let (m, cv) = &*pair;
                *m.lock().unwrap() += 1;
                cv.notify_all();
                let name = thread::current().name().unwrap_or("?").to_string();
                tx.send((i, id == i && log == vec![i], name)).unwrap();
                i * 10
            })
            .unwrap();
        handles.push(h);
    }
    drop(tx);
    let parked = thread::spawn(|| {
        thread::park();
        "unparked"
    });
    thread::sleep(Duration::from_millis(20));
    eprintln!("tasks: {}", std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0));
    parked.thread().unpark();
    let mut got: Vec<_> = rx.iter().collect();
    got.sort();
    for (i, ok, name) in &got {
        println!("thread {} ({}): thread_local kept: {}", i, name, ok);
    }
    let results: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    println!("results: {:?}", results);
    let (m, cv) = &*pair;
    let n = cv.wait_while(m.lock().unwrap(), |c| *c < 8).unwrap();
    println!("counted under the mutex: {}", *n);
    println!("parked thread: {}", parked.join().unwrap());
    println!("thread_local destructors run: {}", DROPPED.load(Ordering::SeqCst));
    println!("main's thread_local: {}", ID.with(|c| c.get()) == usize::MAX);
}
