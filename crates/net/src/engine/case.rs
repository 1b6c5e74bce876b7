//! One case as one conversation: turns in order, each question retried as the official
//! tool does, every finished turn journalled.

use super::Engine;
use super::pool::{self, Lease};
use super::record::{answered, failed, skipped};
use super::stop::StopReason;
use crate::client::{Conversation, EMPTY_REPLY, Outcome, Reply, retry};
use liveclin_core::cost::tokens::Counter;
use liveclin_core::dataset::LoadedCase;
use liveclin_core::images;
use liveclin_core::prompt::{case_turns, user_content};
use liveclin_core::results::McqRecord;

/// Why a question finally failed.
enum Failure {
    /// Not worth another try (400, 401, 403, 404).
    Permanent(String),
    /// Failed after every allowed try.
    Exhausted(String),
}

impl Engine {
    /// Runs a case from its first unanswered question; `kept` are the earlier successful
    /// turns, replayed so the conversation sent is byte-identical to an uninterrupted run.
    /// Every turn, kept or new, goes to `records` as soon as it is known (so a caller
    /// still has them if the case panics). Returns whether the case finished (false when
    /// stopped). The case runs on `lease`'s endpoint (and moves when that one rests).
    pub(crate) async fn evaluate_case(
        &self,
        lc: &LoadedCase,
        kept: Vec<McqRecord>,
        mut lease: Lease,
        records: &mut Vec<McqRecord>,
    ) -> bool {
        let mcqs = lc.case.mcqs();
        let mut contents = self.turn_contents(lc);
        let mut conversation = Conversation::default();
        // The conversation's estimated prompt tokens, for pacing.
        let estimate = self.pacer.estimate();
        let mut tokens = replay(&mut conversation, &mut contents, &kept, Some(estimate));
        records.extend(kept);
        for (index, content) in (records.len()..).zip(contents) {
            if self.stop.is_set() {
                return false;
            }
            tokens += estimate.content(&content).total();
            conversation.user(content);
            // Timed for the ETA, retries and waits included: what a question costs the run.
            let asking = self.progress.asking(&lc.id, mcqs.len() - index);
            let outcome = tokio::select! {
                outcome = self.ask(&mut lease, &conversation, tokens, &lc.id, index) => outcome,
                () = self.stop.abandoned() => None,
            };
            let Some(outcome) = outcome else {
                return false;
            };
            asking.settled(outcome.is_ok());
            match self.settle(lc, index, outcome, records) {
                Some(reply) => {
                    tokens += estimate.content(&reply.as_str().into()).total();
                    conversation.assistant(&reply);
                }
                None => break,
            }
        }
        true
    }

    /// Records a question's outcome: an answer (whose text is returned, for the
    /// conversation), or a failure that ends the case.
    fn settle(
        &self,
        lc: &LoadedCase,
        index: usize,
        outcome: Result<Reply, Failure>,
        records: &mut Vec<McqRecord>,
    ) -> Option<String> {
        match outcome {
            Ok(reply) => {
                let record = answered(lc, index, lc.case.mcqs()[index], &reply);
                self.finished_turn(lc, &record);
                records.push(record);
                Some(reply.content)
            }
            Err(Failure::Permanent(error) | Failure::Exhausted(error)) => {
                self.fail_from(lc, &error, records);
                None
            }
        }
    }

    /// Asks only the next question of a case live, with the live retries (batch mode's
    /// `--batch-fallback live`); `records` are its answered turns. Whether the case is
    /// finished, or None when the run was stopped.
    pub(crate) async fn ask_next(
        &self,
        lc: &LoadedCase,
        records: &mut Vec<McqRecord>,
        lease: &mut Lease,
    ) -> Option<bool> {
        let mut contents = self.turn_contents(lc);
        let mut conversation = Conversation::default();
        let estimate = self.pacer.estimate();
        let mut tokens = replay(&mut conversation, &mut contents, records, Some(estimate));
        let content = contents.next()?;
        tokens += estimate.content(&content).total();
        conversation.user(content);
        let index = records.len();
        let outcome = tokio::select! {
            outcome = self.ask(lease, &conversation, tokens, &lc.id, index) => outcome,
            () = self.stop.abandoned() => None,
        }?;
        self.settle(lc, index, outcome, records);
        Some(records.len() == lc.case.mcqs().len())
    }

    /// The user content of each turn of a case, built as it is reached: a picture is read
    /// and encoded when its turn is first sent; its data URI then lives only in the
    /// conversation's serialised bytes (no second copy per case).
    pub(crate) fn turn_contents<'a>(
        &'a self,
        lc: &'a LoadedCase,
    ) -> impl Iterator<Item = serde_json::Value> + 'a {
        let turns = case_turns(&lc.case, self.mode, &self.image_root);
        turns.into_iter().map(move |turn| {
            user_content(&turn, |path| {
                let uri = images::data_uri(path);
                if let (Err(skip), true) = (&uri, self.verbose) {
                    self.progress
                        .println(format!("  [verbose] {}: picture not sent: {skip}", lc.id));
                }
                uri
            })
        })
    }

    /// Records the first unanswered question of a case as failed with `error` (journalled,
    /// so `--resume` asks it again) and every later one as skipped, as the official tool
    /// does after a failure.
    pub(crate) fn fail_from(&self, lc: &LoadedCase, error: &str, records: &mut Vec<McqRecord>) {
        let mcqs = lc.case.mcqs();
        let index = records.len();
        let Some(mcq) = mcqs.get(index) else {
            return;
        };
        let record = failed(lc, index, mcq, error);
        self.finished_turn(lc, &record);
        records.push(record);
        for (later, mcq) in mcqs.iter().enumerate().skip(index + 1) {
            let skipped = skipped(lc, later, mcq);
            self.progress.mcq(&skipped);
            records.push(skipped);
        }
    }

    pub(crate) fn finished_turn(&self, lc: &LoadedCase, record: &McqRecord) {
        self.journal.record(&lc.id, record);
        self.progress.mcq(record);
    }

    /// The official two inner retry layers with one policy: the whole question is tried
    /// up to `max_retries` times, each try making up to `max_retries` API calls; waits use
    /// the shared backoff and honour `Retry-After`; permanent failures end at once.
    ///
    /// Two things the official tool cannot do happen between calls: a case whose endpoint
    /// is resting moves to another at once (the failed call still counts), and a 429 or a
    /// timeout on an endpoint over its lowered limit gives the case's place back and
    /// waits for a new one; that call is not counted, as the slowing down is ours (and
    /// retrying at once would only queue behind the calls the server is still working on).
    ///
    /// Every call first waits for the endpoint's rate-limit budget (`pace`): it costs
    /// the conversation's `prompt_tokens` (estimated) and `max_tokens`.
    ///
    /// None when the run stopped during a wait: no call is started after a stop, while
    /// a call already sent is left to finish (the caller gives it up when the stop says).
    async fn ask(
        &self,
        lease: &mut Lease,
        conversation: &Conversation,
        prompt_tokens: u64,
        case_id: &str,
        index: usize,
    ) -> Option<Result<Reply, Failure>> {
        let mut last = String::new();
        for question_try in 0..self.max_retries {
            let mut retry_after = None;
            let mut call = 0;
            while call < self.max_retries {
                self.unless_stopped(self.pace(lease, prompt_tokens)).await?;
                let outcome = lease.client().complete(conversation).await;
                let overloaded = pool::overloaded(&outcome);
                if let Some(note) = self.pool.report(lease.index(), &outcome) {
                    self.progress.println(note);
                }
                if self.breaker.observe(&outcome).is_some() {
                    self.stop.trigger(StopReason::Breaker);
                }
                match outcome {
                    Outcome::Reply(reply) => return Some(Ok(reply)),
                    Outcome::Permanent { message } => {
                        return Some(Err(Failure::Permanent(message)));
                    }
                    Outcome::Empty => {
                        last = EMPTY_REPLY.to_string();
                        break;
                    }
                    Outcome::Retryable {
                        retry_after: wait, ..
                    } if overloaded && lease.over_limit() => {
                        self.unless_stopped(lease.requeue(retry::delay(0, wait)))
                            .await?;
                    }
                    Outcome::Retryable {
                        message,
                        retry_after: wait,
                        ..
                    } => {
                        last = message;
                        retry_after = wait;
                        call += 1;
                        if call < self.max_retries {
                            self.verbose_retry(case_id, index, &format!("call {call}"), &last);
                            if !self.leave_resting(lease, case_id, index) {
                                let wait = retry::delay(call - 1, wait);
                                self.unless_stopped(tokio::time::sleep(wait)).await?;
                                self.leave_resting(lease, case_id, index);
                            }
                        }
                    }
                }
            }
            if question_try + 1 < self.max_retries {
                self.verbose_retry(
                    case_id,
                    index,
                    &format!("question try {}", question_try + 1),
                    &last,
                );
                let wait = retry::delay(question_try, retry_after);
                self.unless_stopped(tokio::time::sleep(wait)).await?;
                self.leave_resting(lease, case_id, index);
            }
        }
        Some(Err(Failure::Exhausted(last)))
    }

    /// Waits for `wait` unless the run is (or gets) stopped: None then.
    async fn unless_stopped<T>(&self, wait: impl Future<Output = T>) -> Option<T> {
        tokio::select! {
            biased;
            () = self.stop.wait() => None,
            done = wait => Some(done),
        }
    }

    /// Waits until a call fits the endpoint's rate limits, and shows the pace.
    async fn pace(&self, lease: &Lease, prompt_tokens: u64) {
        let client = lease.client();
        let tokens = prompt_tokens + client.settings().max_tokens;
        self.pacer.wait(lease.index(), client, tokens).await;
        if let Some(shown) = self.pacer.shown() {
            self.progress.paced(shown);
        }
    }

    /// Moves the case when its endpoint is resting and another can take it.
    fn leave_resting(&self, lease: &mut Lease, case_id: &str, index: usize) -> bool {
        let Some(to) = lease.leave_resting() else {
            return false;
        };
        self.verbose_note(case_id, index, &format!("moved to {to}"));
        true
    }

    fn verbose_retry(&self, case_id: &str, index: usize, what: &str, reason: &str) {
        self.verbose_note(
            case_id,
            index,
            &format!("{what} failed, retrying: {reason}"),
        );
    }

    fn verbose_note(&self, case_id: &str, index: usize, note: &str) {
        if self.verbose {
            self.progress
                .println(format!("  [verbose] {case_id} Q{} {note}", index + 1));
        }
    }
}

/// Replays a case's answered turns (`kept`) into a conversation, taking their prompts from
/// `contents`, so the conversation sent next is byte-identical to an uninterrupted run's.
/// Returns the replayed messages' tokens as `counter` counts them, for pacing (0 without a
/// counter: a batch is not paced, and counting is not free).
pub(crate) fn replay(
    conversation: &mut Conversation,
    contents: &mut impl Iterator<Item = serde_json::Value>,
    kept: &[McqRecord],
    counter: Option<&Counter>,
) -> u64 {
    let mut tokens = 0;
    for record in kept {
        let content = contents.next().expect("a kept turn has a prompt");
        let reply = record.model_response.as_str().unwrap_or("");
        if let Some(counter) = counter {
            tokens += counter.content(&content).total() + counter.content(&reply.into()).total();
        }
        conversation.user(content);
        conversation.assistant(reply);
    }
    tokens
}
