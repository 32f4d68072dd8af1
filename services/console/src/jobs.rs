//! Long admin actions that outlive the request that started them: a ReingestAll keeps running when
//! the person closes the tab. Each job keeps its results in memory (for an hour) and tells watchers
//! when one arrives; its page follows it over Server-Sent Events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benchhub_proto::pb;
use futures::StreamExt as _;
use tokio::sync::watch;

/// How long a finished job stays visible.
const KEEP: Duration = Duration::from_secs(3600);

/// What a job has produced so far.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// One result per finished source, in the order they finished.
    pub results: Vec<pb::IngestResult>,
    /// `Some` once the stream ended: empty on success, else why it stopped early.
    pub finished: Option<String>,
}

/// One ReingestAll started from the console.
#[derive(Debug)]
pub struct Job {
    /// The session that started it (only it may watch).
    pub owner: String,
    /// Whether it writes nothing.
    pub dry_run: bool,
    started: Instant,
    progress: watch::Sender<Progress>,
}

impl Job {
    /// A receiver of every change of the progress.
    pub fn watch(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// The progress now.
    pub fn snapshot(&self) -> Progress {
        self.progress.borrow().clone()
    }
}

/// The jobs of this console process.
#[derive(Debug, Default)]
pub struct Jobs {
    map: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Job>>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts consuming `stream` in the background; returns the job's id.
    pub fn start(
        &self,
        owner: &str,
        dry_run: bool,
        mut stream: tonic::Streaming<pb::ReingestAllResponse>,
    ) -> String {
        let id = crate::session::random_id()[..24].to_owned();
        let (progress, _) = watch::channel(Progress::default());
        let job = Arc::new(Job {
            owner: owner.to_owned(),
            dry_run,
            started: Instant::now(),
            progress,
        });
        {
            let mut map = self.lock();
            map.retain(|_, job| job.started.elapsed() < KEEP);
            map.insert(id.clone(), Arc::clone(&job));
        }
        tokio::spawn(async move {
            let mut ending = String::new();
            while let Some(message) = stream.next().await {
                match message {
                    Ok(message) => {
                        if let Some(result) = message.result {
                            job.progress
                                .send_modify(|progress| progress.results.push(result));
                        }
                    }
                    Err(status) => {
                        ending =
                            format!("the ingest service stopped answering: {}", status.message());
                        break;
                    }
                }
            }
            job.progress
                .send_modify(|progress| progress.finished = Some(ending));
        });
        id
    }

    /// The job `id` if `owner` started it.
    pub fn get(&self, id: &str, owner: &str) -> Option<Arc<Job>> {
        self.lock()
            .get(id)
            .filter(|job| job.owner == owner)
            .cloned()
    }
}
