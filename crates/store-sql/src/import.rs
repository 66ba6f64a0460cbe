//! The bulk path: a whole organisation in one transaction (the demo, later goals as code).
//! Scores and roll-ups are derived here from the raw facts, by the same functions as every
//! write; each record gets its audit row, so the trail starts with the import.

use crate::db::Pools;
use crate::rows::micros;
use crate::scores::derive_all;
use crate::write::Writer;
use quarterdeck_domain::ids::{CycleId, ObjectiveId};
use quarterdeck_domain::text::KeyRing;
use quarterdeck_store::snapshot::{ImportCounts, Snapshot};
use quarterdeck_store::{Ctx, StoreResult};
use std::collections::HashMap;

pub(crate) async fn import(pools: &Pools, ctx: &Ctx, mut snapshot: Snapshot) -> StoreResult<ImportCounts> {
    let sums = derive_all(&mut snapshot)?;
    assign_keys(&mut snapshot);
    let counts = ImportCounts {
        units: snapshot.units.len(),
        people: snapshot.people.len(),
        cycles: snapshot.cycles.len(),
        objectives: snapshot.objectives.len(),
        alignments: snapshot.alignments.len(),
        key_results: snapshot.key_results.len(),
        check_ins: snapshot.check_ins.len(),
        initiatives: snapshot.initiatives.len(),
    };
    let cycle_of: HashMap<ObjectiveId, CycleId> = snapshot.objectives.iter().map(|o| (o.id, o.cycle_id)).collect();
    let mut w = Writer::begin(pools, ctx).await?;
    let mut c = w.conn();
    macro_rules! bulk {
        ($rows:expr, $table:literal, $columns:literal, |$t:ident, $r:ident| $body:block) => {
            c.insert_rows($table, $columns, &$rows, |$t, $r| $body).await?;
        };
    }
    bulk!(snapshot.units, "units", "id, version, created_at, updated_at, slug, name, kind, parent_id", |t, u| {
        t.bind(u.id).bind(u.version).bind(micros(u.created_at)).bind(micros(u.updated_at));
        t.bind(&u.slug).bind(&u.name).bind(u.kind.as_str()).bind(u.parent_id);
    });
    bulk!(
        snapshot.people,
        "people",
        "id, version, created_at, updated_at, name, email, unit_id, manager_id",
        |t, p| {
            t.bind(p.id).bind(p.version).bind(micros(p.created_at)).bind(micros(p.updated_at));
            t.bind(&p.name).bind(&p.email).bind(p.unit_id).bind(p.manager_id);
        }
    );
    bulk!(
        snapshot.cycles,
        "cycles",
        "id, version, created_at, updated_at, name, kind, start_date, end_date, state",
        |t, cy| {
            t.bind(cy.id).bind(cy.version).bind(micros(cy.created_at)).bind(micros(cy.updated_at)).bind(&cy.name);
            t.bind(cy.kind.as_str()).bind(cy.start.to_string()).bind(cy.end.to_string()).bind(cy.state.as_str());
        }
    );
    bulk!(
        snapshot.objectives,
        "objectives",
        "id, version, created_at, updated_at, cycle_id, key, title, description, owner_id, \
         unit_id, kind, status, status_reason, score, rollup, key_result_count, rollup_weight, rollup_sum",
        |t, o| {
            t.bind(o.id).bind(o.version).bind(micros(o.created_at)).bind(micros(o.updated_at)).bind(o.cycle_id);
            t.bind(&o.key);
            t.bind(&o.title).bind(&o.description).bind(o.owner_id).bind(o.unit_id).bind(o.kind.as_str());
            t.bind(o.status.as_str())
                .bind(o.status_reason.clone())
                .bind(o.score)
                .bind(o.rollup)
                .bind(o.key_result_count);
            let of = sums.get(&o.id).copied().unwrap_or_default();
            t.bind(of.weight).bind(of.weighted);
        }
    );
    bulk!(
        snapshot.key_results,
        "key_results",
        "id, version, created_at, updated_at, objective_id, title, kind, unit_of_measure, \
         baseline, target, tolerance, weight, owner_id, status, status_reason, kpi_id, current_value, confidence, \
         last_check_in_at, score, cycle_id, key",
        |t, k| {
            t.bind(k.id).bind(k.version).bind(micros(k.created_at)).bind(micros(k.updated_at)).bind(k.objective_id);
            t.bind(&k.title).bind(k.kind.as_str()).bind(&k.unit_of_measure).bind(k.baseline).bind(k.target);
            t.bind(k.tolerance).bind(k.weight).bind(k.owner_id).bind(k.status.as_str()).bind(k.status_reason.clone());
            t.bind(k.kpi_id).bind(k.current_value).bind(k.confidence.map(|c| c.as_str()));
            t.bind(k.last_check_in_at.map(micros))
                .bind(k.score)
                .bind(cycle_of.get(&k.objective_id).copied())
                .bind(&k.key);
        }
    );
    bulk!(
        snapshot.alignments,
        "alignments",
        "id, version, created_at, updated_at, child_id, parent_objective_id, \
         parent_key_result_id, parent_key_result_key, kind, weight",
        |t, a| {
            t.bind(a.id).bind(a.version).bind(micros(a.created_at)).bind(micros(a.updated_at)).bind(a.child_id);
            t.bind(a.parent_objective_id).bind(a.parent_key_result_id);
            t.bind(a.parent_key_result_id.map(|k| k.to_string()).unwrap_or_default());
            t.bind(a.kind.as_str()).bind(a.weight);
        }
    );
    bulk!(
        snapshot.check_ins,
        "check_ins",
        "id, key_result_id, value, confidence, note, author_id, at, created_at",
        |t, ch| {
            t.bind(ch.id).bind(ch.key_result_id).bind(ch.value).bind(ch.confidence.as_str()).bind(&ch.note);
            t.bind(ch.author_id).bind(micros(ch.at)).bind(micros(ch.created_at));
        }
    );
    bulk!(
        snapshot.initiatives,
        "initiatives",
        "id, version, created_at, updated_at, key_result_id, title, kind, status, owner_id, link",
        |t, i| {
            t.bind(i.id).bind(i.version).bind(micros(i.created_at)).bind(micros(i.updated_at)).bind(i.key_result_id);
            t.bind(&i.title).bind(i.kind.as_str()).bind(i.status.as_str()).bind(i.owner_id).bind(i.link.clone());
        }
    );
    for u in &snapshot.units {
        w.created("unit", u.id, u);
    }
    for p in &snapshot.people {
        w.created("person", p.id, p);
    }
    for cy in &snapshot.cycles {
        w.created("cycle", cy.id, cy);
    }
    for o in &snapshot.objectives {
        w.created("objective", o.id, o);
    }
    for k in &snapshot.key_results {
        w.created("key_result", k.id, k);
    }
    for a in &snapshot.alignments {
        w.created("alignment", a.id, a);
    }
    for i in &snapshot.initiatives {
        w.created("initiative", i.id, i);
    }
    w.commit().await?;
    Ok(counts)
}

/// Gives every objective and key result without a key one made from its title, free within
/// its cycle (keys given in the snapshot are kept as they are).
fn assign_keys(s: &mut Snapshot) {
    let mut rings: HashMap<(CycleId, &'static str), KeyRing> = HashMap::new();
    for o in &s.objectives {
        rings.entry((o.cycle_id, "objective")).or_default().take(&o.key);
    }
    for o in &mut s.objectives {
        if o.key.is_empty() {
            let ring = rings.entry((o.cycle_id, "objective")).or_default();
            o.key = ring.allocate(&o.title, "objective").as_str().to_owned();
        }
    }
    let cycle_of: HashMap<ObjectiveId, CycleId> = s.objectives.iter().map(|o| (o.id, o.cycle_id)).collect();
    for k in &s.key_results {
        if let Some(c) = cycle_of.get(&k.objective_id) {
            rings.entry((*c, "kr")).or_default().take(&k.key);
        }
    }
    for k in &mut s.key_results {
        if k.key.is_empty()
            && let Some(c) = cycle_of.get(&k.objective_id)
        {
            let ring = rings.entry((*c, "kr")).or_default();
            k.key = ring.allocate(&k.title, "kr").as_str().to_owned();
        }
    }
}
