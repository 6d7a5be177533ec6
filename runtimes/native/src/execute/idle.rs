//! Idle deadlines that cost nothing per chunk.
//!
//! A body that moves tens of thousands of chunks per second must not arm a timer for each
//! one: registering and cancelling a timer takes the timer driver's lock, and a fresh timeout
//! per chunk was a visible share of a streaming request's CPU. [`IdleDeadline`] keeps one
//! timer. A chunk only records when it came ([`IdleDeadline::progressed`]); when the timer
//! fires, it is moved to the last progress plus the idle time, and only a timer that fires
//! with no progress since means the stream stalled.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// One stream's idle deadline.
pub struct IdleDeadline {
    sleep: Pin<Box<Sleep>>,
    idle: Duration,
    last: Instant,
}

impl IdleDeadline {
    /// A deadline `idle` from now.
    pub fn new(idle: Duration) -> Self {
        let now = Instant::now();
        Self {
            sleep: Box::pin(tokio::time::sleep_until(now + idle)),
            idle,
            last: now,
        }
    }

    /// The stream made progress now.
    pub fn progressed(&mut self) {
        self.last = Instant::now();
    }

    /// Ready once `idle` has passed since the last progress (or the start).
    pub fn poll_expired(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            ready!(self.sleep.as_mut().poll(cx));
            let deadline = self.last + self.idle;
            if deadline <= Instant::now() {
                return Poll::Ready(());
            }
            self.sleep.as_mut().reset(deadline);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn expired(deadline: &mut IdleDeadline) {
        std::future::poll_fn(|cx| deadline.poll_expired(cx)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn it_expires_after_idle_without_progress() {
        let start = Instant::now();
        let mut deadline = IdleDeadline::new(Duration::from_secs(10));
        expired(&mut deadline).await;
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn progress_moves_it_to_idle_after_the_last_progress() {
        let start = Instant::now();
        let mut deadline = IdleDeadline::new(Duration::from_secs(10));
        tokio::time::sleep(Duration::from_secs(4)).await;
        deadline.progressed();
        tokio::time::sleep(Duration::from_secs(3)).await;
        deadline.progressed();
        expired(&mut deadline).await;
        assert_eq!(start.elapsed(), Duration::from_secs(17));
    }
}
