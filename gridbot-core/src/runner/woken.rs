//! [`Woken`]: a stream re-polled only after it woke its task.
//!
//! A runner task waits on three sources at once (control, market data,
//! execution events) and handles one event per wake-up. Re-polling the two
//! quiet sources after every market tick costs each of them a channel
//! inspection (and, for broadcast channels, a lock shared with every other
//! receiver) on every tick of every bot. Wrapped in [`Woken`], a source is
//! polled only when its own waker fired since its last `Pending` (or after
//! it yielded an item, as more may follow), so a tick costs the quiet
//! sources one atomic swap each.
//!
//! Correctness: the inner stream always sees the same waker (this
//! wrapper's), which records the wake and then wakes the task; the task's
//! waker is registered before the record is checked, so a wake in between
//! is never lost.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures::task::AtomicWaker;
use futures::Stream;

/// Records that the inner stream woke, then wakes the task.
struct Flag {
    fired: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.fired.store(true, Ordering::SeqCst);
        self.task.wake();
    }
}

/// A stream polled only after it woke its task (see the module docs).
pub(super) struct Woken<S> {
    inner: S,
    flag: Arc<Flag>,
    waker: Waker,
}

impl<S> Woken<S> {
    /// Wraps `inner`; the first poll always reaches it.
    pub(super) fn new(inner: S) -> Self {
        let flag = Arc::new(Flag {
            fired: AtomicBool::new(true),
            task: AtomicWaker::new(),
        });
        Woken {
            inner,
            waker: Waker::from(flag.clone()),
            flag,
        }
    }
}

impl<S: Stream + Unpin> Stream for Woken<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let me = self.get_mut();
        me.flag.task.register(cx.waker());
        if !me.flag.fired.swap(false, Ordering::SeqCst) {
            return Poll::Pending;
        }
        let mut inner_cx = Context::from_waker(&me.waker);
        match Pin::new(&mut me.inner).poll_next(&mut inner_cx) {
            Poll::Ready(item) => {
                // More may be ready: look again next time.
                me.flag.fired.store(true, Ordering::SeqCst);
                Poll::Ready(item)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use tokio::sync::mpsc;
    use tokio_stream::wrappers::ReceiverStream;

    #[tokio::test]
    async fn items_sent_while_waiting_or_before_the_first_poll_all_arrive_in_order() {
        let (tx, rx) = mpsc::channel(8);
        tx.send(1).await.unwrap();
        let mut s = Woken::new(ReceiverStream::new(rx));
        assert_eq!(s.next().await, Some(1));
        let sender = tokio::spawn(async move {
            for i in 2..=5 {
                tokio::task::yield_now().await;
                tx.send(i).await.unwrap();
            }
        });
        for i in 2..=5 {
            assert_eq!(s.next().await, Some(i));
        }
        sender.await.unwrap();
        assert_eq!(s.next().await, None, "the end is seen too");
    }

    #[tokio::test]
    async fn a_quiet_source_is_not_polled_again_until_it_wakes() {
        let (tx, rx) = mpsc::channel::<u8>(8);
        let mut s = Woken::new(ReceiverStream::new(rx));
        assert!(futures::poll!(s.next()).is_pending());
        assert!(!s.flag.fired.load(Ordering::SeqCst), "nothing fired yet");
        assert!(futures::poll!(s.next()).is_pending());
        tx.send(7).await.unwrap();
        assert!(s.flag.fired.load(Ordering::SeqCst), "the send woke it");
        assert_eq!(s.next().await, Some(7));
    }
}
