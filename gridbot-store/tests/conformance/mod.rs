//! The behaviour every `Store` shares, written once over `Arc<dyn Store>`
//! and instantiated for each implementation with [`conformance_suite!`].
//! Each case gets a fresh, empty store.

mod bots;
mod fenced;
mod records;
mod trading;
mod venue;

pub use bots::*;
pub use fenced::*;
pub use records::*;
pub use trading::*;
pub use venue::*;

/// Generates one `#[tokio::test]` per conformance case, each on a fresh
/// store from `$fixture` (an `async fn() -> Option<common::Fixture>`; `None`
/// skips).
macro_rules! conformance_suite {
    ($fixture:path) => {
        conformance_suite!(@cases $fixture;
            users_are_unique_by_name_and_found_by_id_and_name,
            credentials_are_ciphertext_replaced_read_and_deleted,
            risk_settings_default_until_saved,
            templates_are_inserted_replaced_and_listed_by_id,
            created_bot_holds_nothing_and_round_trips_its_settings,
            decimals_are_stored_exactly,
            guarded_start_refuses_the_bot_over_the_limit,
            guarded_start_refuses_a_symbol_held_by_another_bot_of_the_user,
            guarded_start_refuses_allocations_above_the_balance,
            guarded_start_refuses_unknown_users_and_templates,
            activation_applies_the_start_rules_to_created_and_stopped_bots,
            only_a_created_bot_can_be_deleted_and_it_frees_nothing_it_never_held,
            a_bots_settings_change_but_never_its_symbol_or_kind,
            status_changes_cannot_bypass_the_guarded_start,
            a_stop_racing_a_status_change_always_ends_stopped,
            stats_and_engine_state_round_trip,
            bots_are_listed_newest_first_and_filtered_by_status,
            orders_are_upserted_by_client_id_and_read_oldest_first,
            an_order_batch_naming_an_unknown_bot_writes_nothing,
            fill_insert_is_idempotent_by_fill_id,
            a_fill_batch_naming_an_unknown_bot_writes_nothing,
            a_large_fill_batch_spans_statements_and_counts_only_new_fills,
            a_large_order_batch_spans_statements_and_keeps_first_positions,
            fills_come_back_oldest_first_limited_to_the_newest,
            equity_curve_is_oldest_first_limited_to_the_newest,
            summary_totals_pnl_allocations_and_counts,
            advisor_cache_answers_until_expiry,
            audit_events_come_back_newest_first_per_user,
            one_of_many_racing_runners_gets_a_free_lease,
            a_live_lease_is_renewed_by_its_owner_only_and_keeps_its_epoch,
            releasing_a_lease_lets_the_next_taker_in_with_a_new_epoch,
            a_lease_lapses_by_the_stores_clock_and_is_retaken_with_a_new_epoch,
            lease_times_out_of_range_and_unknown_bots_are_refused,
            a_write_under_a_lost_lease_writes_nothing,
            a_write_under_a_live_lease_lands_whole,
            a_fill_beyond_its_order_is_refused_with_both_records_and_nothing_written,
            fills_beyond_their_order_are_refused_across_fills_batches_and_within_a_batch,
            a_fenced_write_refuses_fills_beyond_orders_it_carries_and_writes_nothing,
            a_fill_of_another_bots_order_is_refused,
            a_fill_without_an_order_record_is_booked,
            replays_are_skipped_and_counted_once_even_for_fully_booked_orders,
            a_status_change_applies_only_from_its_statuses_and_writes_nothing_otherwise,
            a_fenced_write_never_makes_a_stopped_bot_hold_an_allocation,
            a_fenced_write_refuses_rows_of_another_bot,
            the_installation_tag_is_made_once_and_kept,
            a_new_venue_opens_empty,
            venue_entries_come_back_in_order_with_exact_bytes,
            a_later_claim_fences_an_earlier_one_and_its_append_writes_nothing,
            venue_entries_out_of_order_are_refused_whole,
            a_checkpoint_drops_the_entries_it_covers,
            venues_in_one_database_are_independent,
        );
    };
    (@cases $fixture:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                if let Some(fx) = $fixture().await {
                    conformance::$case(fx.store.clone()).await;
                    fx.finish().await;
                }
            }
        )*
    };
}
