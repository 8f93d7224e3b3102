//! The task around a [`BotRunner`]: load and resume, then feed it market
//! events and fill notices until it finishes, is stopped, paused, shut down,
//! or fails. A failure puts the bot in `error` with the message.

use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

use super::bot_runner::{BotRunner, RunnerContext, RunnerError};
use super::woken::Woken;
use crate::manager::BotEvent;
use crate::model::{AuditEvent, Bot, BotStatus, ExecutionEvent};
use crate::ports::MarketData;

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
    /// Save and exit, leaving the bot running for the next process.
    Shutdown,
}

/// Runs a bot until it ends; see the module docs.
pub(super) async fn run_bot(
    bot: Bot,
    ctx: RunnerContext,
    market: Arc<dyn MarketData>,
    control: mpsc::Receiver<Control>,
) {
    let symbol = bot.symbol.clone();
    let mut runner = match BotRunner::load(bot.clone(), ctx.clone()).await {
        Ok(r) => r,
        Err(e) => return fail(&ctx, &bot, &e).await,
    };
    // Subscribe before resuming so no event between the two is missed.
    let mut sub = match market.subscribe(&symbol).await {
        Ok(s) => s,
        Err(e) => return fail(&ctx, &bot, &e.into()).await,
    };
    // Control and execution events are quiet most of the time: polled only
    // when they woke the task, so a market tick does not inspect them.
    let mut exec = Woken::new(ctx.exchange.execution_events());
    let mut control = Woken::new(ReceiverStream::new(control));
    let price = match market.last_price(&symbol).await {
        Ok(p) => p,
        Err(e) => return fail(&ctx, &bot, &e.into()).await,
    };
    if let Err(e) = runner.warm_up(&*market).await {
        return fail(&ctx, &bot, &e).await;
    }
    if let Err(e) = runner.resume(price, ctx.clock.now_ms()).await {
        return fail(&ctx, &bot, &e).await;
    }
    let mut exec_open = true;
    loop {
        if runner.is_finished() {
            return;
        }
        tokio::select! {
            biased;
            c = control.next() => match c {
                Some(Control::Stop(reply)) => {
                    let r = runner.stop().await;
                    if let Err(e) = &r {
                        fail(&ctx, &bot, e).await;
                    }
                    let _ = reply.send(r);
                    return;
                }
                Some(Control::Pause { close_position, reason, done }) => {
                    let r = runner.pause(close_position, &reason).await;
                    if let Err(e) = &r {
                        fail(&ctx, &bot, e).await;
                    }
                    let _ = done.send(r);
                    return;
                }
                Some(Control::Shutdown) | None => {
                    if let Err(e) = runner.save().await {
                        tracing::warn!(bot = %bot.id, error = %e, "state not saved at shutdown");
                    }
                    return;
                }
            },
            ev = sub.next() => match ev {
                Some(ev) => {
                    if let Err(e) = runner.on_market(&ev).await {
                        return fail(&ctx, &bot, &e).await;
                    }
                }
                None => {
                    tracing::info!(bot = %bot.id, "market feed ended; the bot resumes on the next start");
                    let _ = runner.save().await;
                    return;
                }
            },
            ex = exec.next(), if exec_open => match ex {
                Some(ExecutionEvent::Fill(f)) if f.symbol == symbol => {
                    if let Err(e) = runner.on_fills_reported().await {
                        return fail(&ctx, &bot, &e).await;
                    }
                }
                Some(_) => {}
                None => exec_open = false,
            },
        }
    }
}

/// Puts the bot in `error` with the message, records and publishes it.
pub(super) async fn fail(ctx: &RunnerContext, bot: &Bot, e: &RunnerError) {
    let now = ctx.clock.now_ms();
    let message = e.to_string();
    tracing::warn!(bot = %bot.id, error = %message, "bot runner failed");
    if let Err(se) = ctx
        .store
        .set_bot_status(bot.id, BotStatus::Error, Some(message.clone()), now)
        .await
    {
        tracing::error!(bot = %bot.id, error = %se, "could not record the bot's error");
    }
    let ev = AuditEvent::new(Some(bot.user_id), Some(bot.id), "bot.error", message.clone(), now);
    let _ = ctx.store.append_event(&ev).await;
    ctx.events.publish(BotEvent::StatusChanged {
        user_id: bot.user_id,
        bot_id: bot.id,
        status: BotStatus::Error,
        message: Some(message),
        ts: now,
    });
}
