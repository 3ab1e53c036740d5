//! Engine changes as Server-Sent Events. A stream sends one `data:` event per change its
//! route selects. A client that fell behind (the engine's broadcast dropped changes it had
//! not read yet) gets `event: resync` with `data: {"skipped": n}` instead of silently
//! missing them, and should read again what it shows. Every stream ends when its server
//! stops ([`crate::serve`]): a graceful shutdown does not wait for clients that never
//! hang up.

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde::Serialize;
use serde_json::json;
use sparkdeck_engine::EngineEvent;
use tokio::sync::{broadcast, watch};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

/// The name of the event that tells a client it missed changes.
pub(crate) const RESYNC: &str = "resync";

/// Set when the server stops; its streams end then. Handed to handlers as an extension.
#[derive(Clone)]
pub(crate) struct Closing(watch::Receiver<bool>);

impl Closing {
    /// The signal and the sender that fires it (dropping the sender fires it too).
    pub(crate) fn new() -> (watch::Sender<bool>, Self) {
        let (fire, closing) = watch::channel(false);
        (fire, Self(closing))
    }

    async fn closed(mut self) {
        let _ = self.0.wait_for(|closed| *closed).await;
    }
}

/// What one stream sends.
#[derive(Debug, PartialEq)]
enum Change<T> {
    Data(T),
    /// This many engine events were dropped before the client read them.
    Resync(u64),
}

/// The changes `select` picks from `events`, and a resync where some were dropped.
fn changes<T: Send + 'static>(
    events: broadcast::Receiver<EngineEvent>,
    mut select: impl FnMut(EngineEvent) -> Option<T> + Send + 'static,
) -> impl Stream<Item = Change<T>> {
    BroadcastStream::new(events).filter_map(move |event| {
        let change = match event {
            Ok(event) => select(event).map(Change::Data),
            Err(BroadcastStreamRecvError::Lagged(skipped)) => {
                tracing::warn!(skipped, "an update stream fell behind; the client is told to resync");
                Some(Change::Resync(skipped))
            }
        };
        std::future::ready(change)
    })
}

/// The SSE response for one client: `select`ed changes as JSON, until the server stops.
pub(crate) fn stream<T: Serialize + Send + 'static>(
    events: broadcast::Receiver<EngineEvent>,
    closing: Option<Closing>,
    select: impl FnMut(EngineEvent) -> Option<T> + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(sse_events(events, closing, select)).keep_alive(KeepAlive::default())
}

fn sse_events<T: Serialize + Send + 'static>(
    events: broadcast::Receiver<EngineEvent>,
    closing: Option<Closing>,
    select: impl FnMut(EngineEvent) -> Option<T> + Send + 'static,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let closed = async move {
        match closing {
            Some(closing) => closing.closed().await,
            None => std::future::pending().await,
        }
    };
    changes(events, select).take_until(closed).filter_map(|change| {
        let event = match change {
            Change::Data(data) => Event::default().json_data(&data).ok(),
            Change::Resync(skipped) => Some(Event::default().event(RESYNC).data(json!({ "skipped": skipped }).to_string())),
        };
        std::future::ready(event.map(Ok))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deleted(id: usize) -> EngineEvent {
        EngineEvent::JobDeleted { id: id.to_string() }
    }

    fn id_of(event: EngineEvent) -> Option<String> {
        match event {
            EngineEvent::JobDeleted { id } => Some(id),
            _ => None,
        }
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_to_resync_then_gets_what_is_left() {
        let (bus, receiver) = broadcast::channel(4);
        let mut stream = Box::pin(changes(receiver, id_of));
        for id in 0..10 {
            bus.send(deleted(id)).unwrap();
        }
        assert_eq!(stream.next().await, Some(Change::Resync(6)), "six of ten were dropped");
        for id in 6..10 {
            assert_eq!(stream.next().await, Some(Change::Data(id.to_string())));
        }
    }

    #[tokio::test]
    async fn a_stream_ends_when_its_server_closes() {
        let (bus, receiver) = broadcast::channel(4);
        let (fire, closing) = Closing::new();
        let mut events = Box::pin(sse_events(receiver, Some(closing), id_of));
        bus.send(deleted(1)).unwrap();
        assert!(events.next().await.is_some(), "open: changes come through");
        fire.send(true).unwrap();
        bus.send(deleted(2)).unwrap();
        assert!(events.next().await.is_none(), "closed: the stream ends");
    }
}
