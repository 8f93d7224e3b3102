//! The task around a [`BotRunner`]: load and resume, then feed it market
//! events, execution events and reconciliations until it finishes, is
//! stopped, paused, shut down, loses its lease, or fails. A failure puts
//! the bot in `error` with the message; a lost lease ends the task without
//! writing anything (another process runs the bot now).
//!
//! The path of a tick: the market hub wakes the task → [`BotRunner::on_market`]
//! feeds the engine → the executor (`exec.rs`) places or cancels through the
//! `Exchange` port → the answers and fills are booked (`books.rs`) and
//! committed. Reconciliations (`reconcile.rs`) run when an event asks for one
//! and at least every [`super::RunnerOptions::reconcile_every`].

use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

use super::bot_runner::BotRunner;
use super::woken::Woken;
use super::{RunnerContext, RunnerError};
use crate::model::Bot;
use crate::ports::{Lease, MarketData};

/// What the supervisor can ask a running bot.
#[derive(Debug)]
pub(super) enum Control {
    /// Stop the bot; answer when done.
    Stop(oneshot::Sender<Result<(), RunnerError>>),
    /// Pause the bot (risk); answer when done.
    Pause {
        /// Also close the position.
        close_position: bool,
        /// Why, for the user.
        reason: String,
        /// Answer.
        done: oneshot::Sender<Result<(), RunnerError>>,
    },
    /// Save and exit, leaving the bot running for the next runner.
    Shutdown,
}

/// How a runner task ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Exit {
    /// The bot is stopped, paused or in error: its lease can go.
    Done,
    /// The bot still runs (shutdown, feed ended): keep or hand over the lease.
    Suspended,
    /// The lease was lost: write nothing, release nothing.
    Fenced,
}

/// Runs a bot until it ends; see the module docs.
pub(super) async fn run_bot(
    bot: Bot,
    ctx: RunnerContext,
    lease: Lease,
    market: Arc<dyn MarketData>,
    control: mpsc::Receiver<Control>,
) -> Exit {
    let symbol = bot.symbol.clone();
    let mut runner = match BotRunner::load(bot.clone(), ctx.clone(), lease.clone()).await {
        Ok(r) => r,
        Err(e) => return fail_unloaded(&bot, &ctx, &lease, e).await,
    };
    // Subscribe before resuming so no event between the two is missed.
    let mut sub = match market.subscribe(&symbol).await {
        Ok(s) => s,
        Err(e) => return ended(&mut runner, e.into()).await,
    };
    // Control and execution events are quiet most of the time: polled only
    // when they woke the task, so a market tick does not inspect them.
    let mut exec = Woken::new(ctx.exchange.execution_events());
    let mut control = Woken::new(ReceiverStream::new(control));
    let price = match market.last_price(&symbol).await {
        Ok(p) => p,
        Err(e) => return ended(&mut runner, e.into()).await,
    };
    if let Err(e) = runner.warm_up(&*market).await {
        return ended(&mut runner, e).await;
    }
    if let Err(e) = runner.resume(price, ctx.clock.now_ms()).await {
        return ended(&mut runner, e).await;
    }
    let every = ctx.options.reconcile_every;
    let mut timer = Box::pin(ctx.clock.sleep(every));
    let mut exec_open = true;
    loop {
        if runner.is_finished() {
            return Exit::Done;
        }
        let step = tokio::select! {
            biased;
            c = control.next() => match c {
                Some(Control::Stop(reply)) => {
                    let r = runner.stop().await;
                    let exit = settle(&mut runner, &r).await;
                    let _ = reply.send(r);
                    return exit;
                }
                Some(Control::Pause { close_position, reason, done }) => {
                    let r = runner.pause(close_position, &reason).await;
                    let exit = settle(&mut runner, &r).await;
                    let _ = done.send(r);
                    return exit;
                }
                Some(Control::Shutdown) | None => {
                    return match runner.save().await {
                        Ok(()) => Exit::Suspended,
                        Err(e) if e.is_lease_lost() => Exit::Fenced,
                        Err(e) => {
                            tracing::warn!(bot = %bot.id, error = %e, "state not saved at shutdown");
                            Exit::Suspended
                        }
                    };
                }
            },
            ev = sub.next() => match ev {
                Some(ev) => runner.on_market(&ev).await,
                None => {
                    tracing::info!(bot = %bot.id, "market feed ended; the bot resumes on the next start");
                    let _ = runner.save().await;
                    return Exit::Suspended;
                }
            },
            ex = exec.next(), if exec_open => match ex {
                Some(ev) => runner.on_execution(&ev).await,
                None => {
                    exec_open = false;
                    Ok(())
                }
            },
            () = &mut timer => {
                timer = Box::pin(ctx.clock.sleep(every));
                Ok(())
            }
        };
        let step = match step {
            Ok(()) if runner.reconcile_due() && !runner.is_finished() => runner.reconcile().await,
            other => other,
        };
        if let Err(e) = step {
            return ended(&mut runner, e).await;
        }
    }
}

/// What a stop's or a pause's result means for the task.
async fn settle(runner: &mut BotRunner, r: &Result<(), RunnerError>) -> Exit {
    match r {
        Ok(()) => Exit::Done,
        Err(e) if e.is_lease_lost() => Exit::Fenced,
        // The exchange or the database is away: the bot stays `stopping`
        // and the supervisor's lease round tries again.
        Err(e) if e.is_transient() => {
            tracing::warn!(bot = %runner.bot().id, error = %e, "stop not finished; tried again later");
            let _ = runner.save().await;
            Exit::Suspended
        }
        Err(e) => {
            runner.fail(e).await;
            Exit::Done
        }
    }
}

/// Ends the task after an error: `error` status unless the lease was lost.
async fn ended(runner: &mut BotRunner, e: RunnerError) -> Exit {
    if e.is_lease_lost() {
        tracing::warn!(bot = %runner.bot().id, error = %e, "lease lost; runner ends without writing");
        return Exit::Fenced;
    }
    runner.fail(&e).await;
    Exit::Done
}

/// A bot that could not even be loaded: `error`, through a runner-less
/// fenced write of the status.
async fn fail_unloaded(bot: &Bot, ctx: &RunnerContext, lease: &Lease, e: RunnerError) -> Exit {
    if e.is_lease_lost() {
        return Exit::Fenced;
    }
    tracing::warn!(bot = %bot.id, error = %e, "bot could not be loaded");
    super::supervisor::record_error(ctx, lease, bot, &e.to_string()).await;
    Exit::Done
}
