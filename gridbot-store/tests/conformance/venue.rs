//! The paper venue's journal: claims that fence, entries that come back in
//! order with their exact bytes, the append rules (all or nothing), and
//! checkpoints that drop what they cover.

use std::sync::Arc;

use gridbot_core::ports::{Store, VenueClaim, VenueEntry, VenueLoad};
use gridbot_core::StoreError;

/// Entry `seq` with a body that names it and holds every byte value (so a
/// store that altered bytes — text conversion, trimming — shows).
pub fn venue_entry(seq: i64) -> VenueEntry {
    let mut body = format!("{{\"seq\":{seq}}}").into_bytes();
    body.extend(0u8..=255);
    body.extend([0, 0, b'\n']);
    VenueEntry { seq, body }
}

fn entries(seqs: impl IntoIterator<Item = i64>) -> Vec<VenueEntry> {
    seqs.into_iter().map(venue_entry).collect()
}

async fn open(store: &Arc<dyn Store>, venue: &str, owner: &str) -> VenueLoad {
    store.open_venue(venue, owner).await.unwrap()
}

fn seqs(load: &VenueLoad) -> Vec<i64> {
    load.entries.iter().map(|e| e.seq).collect()
}

/// A venue never opened is created empty, claimed with epoch 1.
pub async fn a_new_venue_opens_empty(store: Arc<dyn Store>) {
    let load = open(&store, "paper", "runner-a").await;
    assert_eq!(
        load,
        VenueLoad {
            claim: VenueClaim {
                venue: "paper".into(),
                owner: "runner-a".into(),
                epoch: 1
            },
            checkpoint: None,
            entries: Vec::new(),
        }
    );
}

/// Entries written in several calls come back in order with their exact
/// bytes; a call of more entries than one statement takes lands whole.
pub async fn venue_entries_come_back_in_order_with_exact_bytes(store: Arc<dyn Store>) {
    let claim = open(&store, "paper", "runner-a").await.claim;
    store.append_venue(&claim, &entries([1, 2]), None).await.unwrap();
    store.append_venue(&claim, &[], None).await.unwrap();
    store.append_venue(&claim, &entries([5]), None).await.unwrap();
    // 1,200 entries: more than one multi-row statement holds.
    store.append_venue(&claim, &entries(10..1210), None).await.unwrap();
    let mut big = venue_entry(5000);
    big.body = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    store
        .append_venue(&claim, std::slice::from_ref(&big), None)
        .await
        .unwrap();

    let load = open(&store, "paper", "runner-a").await;
    let mut expected = entries([1, 2, 5]);
    expected.extend(entries(10..1210));
    expected.push(big);
    assert_eq!(load.entries.len(), expected.len());
    assert!(load.entries == expected, "entries come back in order, byte for byte");
    assert_eq!(load.checkpoint, None);
    assert_eq!(load.claim.epoch, 2);
}

/// Every open fences the claims before it (the same owner's too): a
/// fenced append fails with `VenueFenced`, writes nothing, and the latest
/// claim goes on appending.
pub async fn a_later_claim_fences_an_earlier_one_and_its_append_writes_nothing(store: Arc<dyn Store>) {
    let first = open(&store, "paper", "runner-a").await.claim;
    store.append_venue(&first, &entries([1]), None).await.unwrap();
    // The same owner reclaiming fences its own earlier claims; so does another owner.
    for owner in ["runner-a", "runner-b"] {
        let stale = open(&store, "paper", "runner-a").await.claim;
        let next = open(&store, "paper", owner).await;
        assert_eq!(next.claim.epoch, stale.epoch + 1, "every open moves the epoch on");
        for fenced in [&first, &stale] {
            let refused = store
                .append_venue(fenced, &entries([100]), Some(venue_entry(100)))
                .await
                .unwrap_err();
            assert_eq!(
                refused,
                StoreError::VenueFenced {
                    venue: "paper".into(),
                    owner: fenced.owner.clone(),
                    epoch: fenced.epoch,
                }
            );
        }
    }
    let latest = open(&store, "paper", "runner-c").await;
    assert_eq!(seqs(&latest), vec![1], "no fenced append wrote anything");
    assert_eq!(latest.checkpoint, None, "nor its checkpoint");
    store.append_venue(&latest.claim, &entries([2]), None).await.unwrap();
    assert_eq!(seqs(&open(&store, "paper", "runner-c").await), vec![1, 2]);

    let unknown = VenueClaim {
        venue: "never-opened".into(),
        owner: "runner-a".into(),
        epoch: 1,
    };
    assert!(matches!(
        store.append_venue(&unknown, &entries([1]), None).await,
        Err(StoreError::VenueFenced { .. })
    ));
    assert_eq!(open(&store, "never-opened", "runner-a").await.entries, Vec::new());
}

/// Entries not above what is stored, or not ascending within the call,
/// are a `Conflict`; the whole call is refused (no entry of it lands, nor
/// its checkpoint).
pub async fn venue_entries_out_of_order_are_refused_whole(store: Arc<dyn Store>) {
    let claim = open(&store, "paper", "runner-a").await.claim;
    store.append_venue(&claim, &entries([1, 2, 3]), None).await.unwrap();
    let refused: [(Vec<i64>, Option<i64>); 6] = [
        (vec![3], None),                // repeats the last stored
        (vec![2], None),                // below it
        (vec![4, 5, 5], None),          // repeated within the call
        (vec![4, 6, 5], None),          // not ascending within the call
        (vec![4, 5], Some(6)),          // a checkpoint beyond the call's entries
        (vec![600, 601, 3], Some(600)), // a valid head, then a stale one
    ];
    for (call, checkpoint) in refused {
        let out = store
            .append_venue(&claim, &entries(call.clone()), checkpoint.map(venue_entry))
            .await;
        assert!(
            matches!(out, Err(StoreError::Conflict(_))),
            "{call:?} / {checkpoint:?}: {out:?}"
        );
    }
    // The claim still holds (a refusal does not fence); nothing was written.
    store.append_venue(&claim, &entries([4]), None).await.unwrap();
    let load = open(&store, "paper", "runner-a").await;
    assert_eq!(seqs(&load), vec![1, 2, 3, 4]);
    assert_eq!(load.checkpoint, None);
}

/// A checkpoint replaces the previous one and drops the entries at or
/// below its sequence number in the same call; a reopen returns it and the
/// entries after it.
pub async fn a_checkpoint_drops_the_entries_it_covers(store: Arc<dyn Store>) {
    let claim = open(&store, "paper", "runner-a").await.claim;
    store.append_venue(&claim, &entries(1..=5), None).await.unwrap();
    // Covers 1..=6, with 6 written in the same call; 7 stays.
    let mut cp = venue_entry(6);
    cp.body = b"state after 6".to_vec();
    store
        .append_venue(&claim, &entries([6, 7]), Some(cp.clone()))
        .await
        .unwrap();
    let load = open(&store, "paper", "runner-a").await;
    assert_eq!(load.checkpoint, Some(cp));
    assert_eq!(load.entries, entries([7]));

    // Entries continue above the checkpoint only.
    let claim = load.claim;
    assert!(matches!(
        store.append_venue(&claim, &entries([6]), None).await,
        Err(StoreError::Conflict(_))
    ));
    store.append_venue(&claim, &entries([8, 9]), None).await.unwrap();
    // A checkpoint alone, covering everything stored.
    let mut cp2 = venue_entry(9);
    cp2.body = b"state after 9".to_vec();
    store.append_venue(&claim, &[], Some(cp2.clone())).await.unwrap();
    let load = open(&store, "paper", "runner-b").await;
    assert_eq!(load.checkpoint, Some(cp2.clone()));
    assert!(load.entries.is_empty());
    // After a checkpoint took every entry, the next must still be above it.
    assert!(matches!(
        store.append_venue(&load.claim, &entries([9]), None).await,
        Err(StoreError::Conflict(_))
    ));
    store.append_venue(&load.claim, &entries([10]), None).await.unwrap();
    assert_eq!(seqs(&open(&store, "paper", "runner-b").await), vec![10]);
    // A checkpoint below the stored one is refused whole (its entries 7–9
    // are gone); the entry of the same call does not land either.
    let load = open(&store, "paper", "runner-b").await;
    let mut old = venue_entry(7);
    old.body = b"state after 7".to_vec();
    assert!(matches!(
        store.append_venue(&load.claim, &entries([11]), Some(old)).await,
        Err(StoreError::Conflict(_))
    ));
    let load = open(&store, "paper", "runner-b").await;
    assert_eq!(load.checkpoint, Some(cp2));
    assert_eq!(seqs(&load), vec![10]);
}

/// Two venues in one database keep their own claims, entries and
/// checkpoints.
pub async fn venues_in_one_database_are_independent(store: Arc<dyn Store>) {
    let a = open(&store, "venue-a", "runner").await.claim;
    let b = open(&store, "venue-b", "runner").await.claim;
    assert_eq!((a.epoch, b.epoch), (1, 1));
    store.append_venue(&a, &entries([1, 2, 3]), None).await.unwrap();
    store
        .append_venue(&b, &entries([1, 2]), Some(venue_entry(2)))
        .await
        .unwrap();
    // Reclaiming b fences b's claim only.
    let b2 = open(&store, "venue-b", "runner").await;
    assert_eq!(b2.checkpoint, Some(venue_entry(2)));
    assert!(b2.entries.is_empty());
    store.append_venue(&a, &entries([4]), None).await.unwrap();
    assert!(matches!(
        store.append_venue(&b, &entries([3]), None).await,
        Err(StoreError::VenueFenced { .. })
    ));
    store.append_venue(&b2.claim, &entries([3]), None).await.unwrap();
    let a2 = open(&store, "venue-a", "runner").await;
    assert_eq!(
        seqs(&a2),
        vec![1, 2, 3, 4],
        "b's checkpoint dropped none of a's entries"
    );
    assert_eq!(a2.checkpoint, None);
    assert_eq!(a2.claim.epoch, 2);
    assert_eq!(seqs(&open(&store, "venue-b", "runner").await), vec![3]);
}
