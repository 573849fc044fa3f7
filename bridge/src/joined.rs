//! One call shared by every request that asks for the same thing at about the same time: a
//! request that arrives while a call is running waits for it to end, and the next call answers
//! every request that waited. An answer therefore always comes from a call started after its
//! request arrived — nothing is served stale — while a room of fifty tabs listing subjects costs
//! the registry at most one call running and one waiting, instead of fifty at once.

use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Requests waiting for the next call.
#[derive(Debug)]
pub(crate) struct Joined<T> {
    queue: Arc<Mutex<Queue<T>>>,
}

#[derive(Debug)]
struct Queue<T> {
    /// Whether a task is running calls.
    running: bool,
    /// Who the next call answers.
    waiting: Vec<oneshot::Sender<T>>,
}

impl<T> Default for Joined<T> {
    fn default() -> Self {
        Self {
            queue: Arc::new(Mutex::new(Queue {
                running: false,
                waiting: Vec::new(),
            })),
        }
    }
}

impl<T: Clone + Send + 'static> Joined<T> {
    /// The answer of a call of `make` started after this request arrived, shared with the
    /// requests that joined it. The calls run in a task of their own, so a request that goes
    /// away (its tab closed) stops no one else's answer. `None` only if that task ended without
    /// answering (a panic inside `make`).
    pub(crate) async fn call<F, Fut>(&self, make: F) -> Option<T>
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send,
    {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut queue = self.queue.lock().ok()?;
            queue.waiting.push(answer);
            !std::mem::replace(&mut queue.running, true)
        };
        if start {
            let queue = Arc::clone(&self.queue);
            tokio::spawn(async move {
                while let Some(batch) = next_batch(&queue) {
                    let out = make().await;
                    for waiter in batch {
                        let _ = waiter.send(out.clone());
                    }
                }
            });
        }
        answered.await.ok()
    }
}

/// The requests the next call answers, or `None` (and no task running) when nobody waits.
fn next_batch<T>(queue: &Mutex<Queue<T>>) -> Option<Vec<oneshot::Sender<T>>> {
    let mut queue = queue.lock().ok()?;
    if queue.waiting.is_empty() {
        queue.running = false;
        None
    } else {
        Some(std::mem::take(&mut queue.waiting))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tokio::sync::Notify;

    #[tokio::test]
    async fn requests_during_a_call_share_the_next_one() {
        let joined = Arc::new(Joined::<u32>::default());
        let calls = Arc::new(AtomicU32::new(0));
        let release = Arc::new(Notify::new());
        let make = {
            let (calls, release) = (Arc::clone(&calls), Arc::clone(&release));
            move || {
                let (calls, release) = (Arc::clone(&calls), Arc::clone(&release));
                async move {
                    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                    release.notified().await;
                    n
                }
            }
        };
        // The first request starts call 1.
        let first = tokio::spawn({
            let (joined, make) = (Arc::clone(&joined), make.clone());
            async move { joined.call(make).await }
        });
        wait_until(|| calls.load(Ordering::SeqCst) == 1).await;
        // Ten more arrive while it runs: they must not get call 1's answer.
        let later: Vec<_> = (0..10)
            .map(|_| {
                let (joined, make) = (Arc::clone(&joined), make.clone());
                tokio::spawn(async move { joined.call(make).await })
            })
            .collect();
        wait_until(|| joined.queue.lock().map_or(0, |q| q.waiting.len()) == 10).await;
        release.notify_one();
        assert_eq!(first.await.ok().flatten(), Some(1));
        wait_until(|| calls.load(Ordering::SeqCst) == 2).await;
        release.notify_one();
        for request in later {
            assert_eq!(request.await.ok().flatten(), Some(2));
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "eleven requests, two calls"
        );
        // Nobody waits now: the next request starts a call of its own.
        let again = tokio::spawn({
            let (joined, make) = (Arc::clone(&joined), make.clone());
            async move { joined.call(make).await }
        });
        wait_until(|| calls.load(Ordering::SeqCst) == 3).await;
        release.notify_one();
        assert_eq!(again.await.ok().flatten(), Some(3));
    }

    async fn wait_until(done: impl Fn() -> bool) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while !done() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "condition not met in 10 s"
            );
            tokio::task::yield_now().await;
        }
    }
}
