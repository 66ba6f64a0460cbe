//! The organisation: units (company → departments → teams) and people.

use crate::db::{Conn, Sql, q};
use crate::rows::*;
use crate::sql::{PERSON_COLUMNS, UNIT_COLUMNS};
use crate::store::require_ref;
use crate::write::Writer;
use crate::{SqlStore, applied, check_version, found, new_id};
use async_trait::async_trait;
use quarterdeck_domain::DomainError;
use quarterdeck_domain::alignment::check_tree_move;
use quarterdeck_domain::coach::policy::PolicySettings;
use quarterdeck_domain::ids::{PersonId, UnitId};
use quarterdeck_domain::zone::Zone;
use quarterdeck_store::input::*;
use quarterdeck_store::records::{OrgSettings, Person, Unit};
use quarterdeck_store::{Ctx, OrgStore, Page, PageRequest, StoreResult};

pub(crate) async fn unit_in(c: &mut Conn<'_>, id: &str) -> StoreResult<Option<Unit>> {
    let row: Option<UnitRow> =
        c.fetch_optional(&q!(format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = $1"), id)).await?;
    row.map(Unit::try_from).transpose()
}

pub(crate) async fn person_in(c: &mut Conn<'_>, id: &str) -> StoreResult<Option<Person>> {
    let row: Option<PersonRow> =
        c.fetch_optional(&q!(format!("SELECT {PERSON_COLUMNS} FROM people WHERE id = $1"), id)).await?;
    row.map(Person::try_from).transpose()
}

/// The organisation's time zone, as stored.
pub(crate) async fn zone_in(c: &mut Conn<'_>) -> StoreResult<Zone> {
    Ok(settings_in(c, "").await?.time_zone)
}

/// The statement reading the organisation's settings (`lock`: " FOR UPDATE" to hold them on
/// PostgreSQL); [`settings_from`] reads its row.
pub(crate) fn settings_sql(lock: &str) -> Sql {
    Sql::new(format!("SELECT value, version FROM settings WHERE name = 'time_zone'{lock}"))
}

pub(crate) fn settings_from(row: Option<(String, i64)>) -> StoreResult<OrgSettings> {
    match row {
        Some((name, version)) => {
            let time_zone = Zone::parse(&name).map_err(|_| {
                quarterdeck_store::StoreError::Backend(format!("stored time zone '{name}' cannot be read"))
            })?;
            Ok(OrgSettings { time_zone, anonymous_read: false, version })
        }
        None => Ok(OrgSettings { time_zone: Zone::default(), anonymous_read: false, version: 1 }),
    }
}

/// The organisation's settings, as stored (`lock`: " FOR UPDATE" to hold them on PostgreSQL).
/// The version of all settings is the time zone row's: every change of any setting moves
/// it, so one version guards them all.
async fn settings_in(c: &mut Conn<'_>, lock: &str) -> StoreResult<OrgSettings> {
    let mut settings = settings_from(c.fetch_optional(&settings_sql(lock)).await?)?;
    let anonymous: Option<(String,)> =
        c.fetch_optional(&Sql::new("SELECT value FROM settings WHERE name = 'anonymous_read'")).await?;
    settings.anonymous_read = anonymous.is_some_and(|(v,)| v == "true");
    Ok(settings)
}

/// The settings, held for a change (on PostgreSQL) and checked against `version`.
async fn locked_settings(w: &mut Writer<'_>, version: i64) -> StoreResult<OrgSettings> {
    let mut c = w.conn();
    let lock = if c.is_pg() { " FOR UPDATE" } else { "" };
    let before = settings_in(&mut c, lock).await?;
    check_version("settings", "time_zone", before.version, version)?;
    Ok(before)
}

/// Writes one named setting and moves the version every setting shares.
async fn put_setting(w: &mut Writer<'_>, name: &str, value: &str) -> StoreResult<()> {
    w.conn()
        .execute_all(&[
            Sql::new("UPDATE settings SET version = version + 1 WHERE name = 'time_zone'"),
            q!("DELETE FROM settings WHERE name = $1", name),
            q!("INSERT INTO settings (name, value) VALUES ($1, $2)", name, value),
        ])
        .await
}

/// The coach's policy settings; none stored means the defaults (the balanced preset).
async fn coach_policy_in(c: &mut Conn<'_>) -> StoreResult<PolicySettings> {
    let row: Option<(String,)> =
        c.fetch_optional(&Sql::new("SELECT value FROM settings WHERE name = 'coach_policy'")).await?;
    match row {
        Some((json,)) => serde_json::from_str(&json)
            .map_err(|e| quarterdeck_store::StoreError::Backend(format!("stored coach policy cannot be read: {e}"))),
        None => Ok(PolicySettings::default()),
    }
}

/// The chain above `start` in a tree table (`start` first), in one recursive query.
async fn ancestors(c: &mut Conn<'_>, table: &str, parent_column: &str, start: &str) -> StoreResult<Vec<String>> {
    let sql = format!(
        "WITH RECURSIVE up(id, depth) AS (SELECT CAST($1 AS TEXT), 0 \
         UNION ALL SELECT t.{parent_column}, up.depth + 1 FROM {table} t JOIN up ON t.id = up.id \
         WHERE t.{parent_column} IS NOT NULL AND up.depth < 100000) SELECT id FROM up ORDER BY depth"
    );
    let rows: Vec<(String,)> = c.fetch_all(&q!(sql, start)).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

#[async_trait]
impl OrgStore for SqlStore {
    async fn create_unit(&self, ctx: &Ctx, new: NewUnit) -> StoreResult<Unit> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        require_ref(&mut c, "units", "unit", "parent_id", new.parent_id.map(|p| p.to_string())).await?;
        let id = UnitId(new_id());
        let insert = q!(
            "INSERT INTO units (id, version, created_at, updated_at, slug, name, kind, parent_id) \
             VALUES ($1, 1, $2, $2, $3, $4, $5, $6)",
            id,
            now,
            new.slug.as_str(),
            new.name.as_str(),
            new.kind.as_str(),
            new.parent_id
        );
        c.execute_unique(&insert, "slug", new.slug.as_str()).await?;
        let unit = found("unit", id, unit_in(&mut c, &id.to_string()).await?)?;
        w.created("unit", id, &unit);
        w.commit().await?;
        Ok(unit)
    }

    async fn get_unit(&self, id: UnitId) -> StoreResult<Unit> {
        let mut r = self.pools.reader().await?;
        found("unit", id, unit_in(&mut r.conn(), &id.to_string()).await?)
    }

    async fn unit_chain(&self, id: UnitId) -> StoreResult<Vec<UnitId>> {
        let mut r = self.pools.reader().await?;
        let chain = ancestors(&mut r.conn(), "units", "parent_id", &id.to_string()).await?;
        chain.iter().map(|u| crate::rows::word("unit id", u)).collect()
    }

    async fn find_unit_by_slug(&self, slug: &str) -> StoreResult<Unit> {
        let mut r = self.pools.reader().await?;
        let row: Option<UnitRow> =
            r.conn().fetch_optional(&q!(format!("SELECT {UNIT_COLUMNS} FROM units WHERE slug = $1"), slug)).await?;
        found("unit", slug, row.map(Unit::try_from).transpose()?)
    }

    async fn list_units(&self, filter: UnitFilter, page: PageRequest) -> StoreResult<Page<Unit>> {
        let mut s = Sql::new(format!("SELECT {UNIT_COLUMNS} FROM units WHERE 1 = 1"));
        if let Some(p) = filter.parent_id {
            s.push(" AND parent_id = ").bind(p);
        }
        if let Some(k) = filter.kind {
            s.push(" AND kind = ").bind(k.as_str());
        }
        if let Some(after) = &page.after {
            s.push(" AND id > ").bind(after);
        }
        s.push(" ORDER BY id LIMIT ").bind(page.limit as i64 + 1);
        let mut r = self.pools.reader().await?;
        let rows: Vec<UnitRow> = r.conn().fetch_all(&s).await?;
        Ok(Page::from_rows(convert(rows)?, page.limit, |u: &Unit| u.id.to_string()))
    }

    async fn update_unit(&self, ctx: &Ctx, id: UnitId, version: i64, patch: UnitPatch) -> StoreResult<Unit> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let key = id.to_string();
        let current = found("unit", id, unit_in(&mut c, &key).await?)?;
        check_version("unit", &key, current.version, version)?;
        let parent = patch.parent_id.unwrap_or(current.parent_id);
        if let Some(p) = parent.filter(|_| patch.parent_id.is_some()) {
            require_ref(&mut c, "units", "unit", "parent_id", Some(p.to_string())).await?;
            let chain = ancestors(&mut c, "units", "parent_id", &p.to_string()).await?;
            check_tree_move(&key, &chain, DomainError::UnitCycle)?;
        }
        let update = q!(
            "UPDATE units SET version = version + 1, updated_at = $1, name = $2, kind = $3, parent_id = $4 \
             WHERE id = $5 AND version = $6",
            now,
            patch.name.map(|n| n.into_string()).unwrap_or(current.name.clone()),
            patch.kind.unwrap_or(current.kind).as_str(),
            parent,
            &key,
            version
        );
        applied("unit", &key, c.execute(&update).await?, version)?;
        let unit = found("unit", id, unit_in(&mut c, &key).await?)?;
        w.updated("unit", id, "update", &current, &unit);
        w.commit().await?;
        Ok(unit)
    }

    async fn create_person(&self, ctx: &Ctx, new: NewPerson) -> StoreResult<Person> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        require_ref(&mut c, "units", "unit", "unit_id", new.unit_id.map(|u| u.to_string())).await?;
        require_ref(&mut c, "people", "person", "manager_id", new.manager_id.map(|m| m.to_string())).await?;
        let id = PersonId(new_id());
        let insert = q!(
            "INSERT INTO people (id, version, created_at, updated_at, name, email, unit_id, manager_id) \
             VALUES ($1, 1, $2, $2, $3, $4, $5, $6)",
            id,
            now,
            new.name.as_str(),
            new.email.as_str(),
            new.unit_id,
            new.manager_id
        );
        c.execute_unique(&insert, "email", new.email.as_str()).await?;
        let person = found("person", id, person_in(&mut c, &id.to_string()).await?)?;
        w.created("person", id, &person);
        w.commit().await?;
        Ok(person)
    }

    async fn get_person(&self, id: PersonId) -> StoreResult<Person> {
        let mut r = self.pools.reader().await?;
        found("person", id, person_in(&mut r.conn(), &id.to_string()).await?)
    }

    async fn find_person_by_email(&self, email: &str) -> StoreResult<Option<Person>> {
        let mut r = self.pools.reader().await?;
        let row: Option<PersonRow> = r
            .conn()
            .fetch_optional(&q!(format!("SELECT {PERSON_COLUMNS} FROM people WHERE lower(email) = lower($1)"), email))
            .await?;
        row.map(Person::try_from).transpose()
    }

    async fn list_people(&self, filter: PersonFilter, page: PageRequest) -> StoreResult<Page<Person>> {
        let mut s = Sql::new(format!("SELECT {PERSON_COLUMNS} FROM people WHERE 1 = 1"));
        if let Some(u) = filter.unit_id {
            s.push(" AND unit_id = ").bind(u);
        }
        if let Some(m) = filter.manager_id {
            s.push(" AND manager_id = ").bind(m);
        }
        if let Some(after) = &page.after {
            s.push(" AND id > ").bind(after);
        }
        s.push(" ORDER BY id LIMIT ").bind(page.limit as i64 + 1);
        let mut r = self.pools.reader().await?;
        let rows: Vec<PersonRow> = r.conn().fetch_all(&s).await?;
        Ok(Page::from_rows(convert(rows)?, page.limit, |p: &Person| p.id.to_string()))
    }

    async fn settings(&self) -> StoreResult<OrgSettings> {
        let mut r = self.pools.reader().await?;
        settings_in(&mut r.conn(), "").await
    }

    async fn set_time_zone(&self, ctx: &Ctx, version: i64, zone: Zone) -> StoreResult<OrgSettings> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let mut c = w.conn();
        // Held for the whole change: an ingest reads the zone in its own transaction, and on
        // PostgreSQL waits here rather than bucket points by the old zone.
        let lock = if c.is_pg() { " FOR UPDATE" } else { "" };
        let before = settings_in(&mut c, lock).await?;
        check_version("settings", "time_zone", before.version, version)?;
        if before.time_zone == zone {
            return Ok(before);
        }
        let after = OrgSettings { time_zone: zone, version: before.version + 1, ..before };
        c.execute(&q!(
            "UPDATE settings SET value = $1, version = $2 WHERE name = 'time_zone'",
            zone.name(),
            after.version
        ))
        .await?;
        let periods = crate::kpi::recompute_all_periods(&mut w, zone).await?;
        tracing::info!(
            from = before.time_zone.name(),
            to = zone.name(),
            periods,
            "time zone changed; period values recomputed"
        );
        w.updated("settings", "time_zone", "update", &before.time_zone.name(), &zone.name());
        w.commit().await?;
        Ok(after)
    }

    async fn set_anonymous_read(&self, ctx: &Ctx, version: i64, on: bool) -> StoreResult<OrgSettings> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let before = locked_settings(&mut w, version).await?;
        if before.anonymous_read == on {
            return Ok(before);
        }
        put_setting(&mut w, "anonymous_read", if on { "true" } else { "false" }).await?;
        let after = OrgSettings { anonymous_read: on, version: before.version + 1, ..before };
        w.updated("settings", "anonymous_read", "update", &before.anonymous_read, &on);
        w.commit().await?;
        Ok(after)
    }

    async fn coach_policy(&self) -> StoreResult<(PolicySettings, i64)> {
        let mut r = self.pools.reader().await?;
        let mut c = r.conn();
        let version = settings_in(&mut c, "").await?.version;
        Ok((coach_policy_in(&mut c).await?, version))
    }

    async fn set_coach_policy(
        &self,
        ctx: &Ctx,
        version: i64,
        policy: PolicySettings,
    ) -> StoreResult<(PolicySettings, i64)> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let settings = locked_settings(&mut w, version).await?;
        let before = coach_policy_in(&mut w.conn()).await?;
        if before == policy {
            return Ok((before, settings.version));
        }
        let json = serde_json::to_string(&policy)
            .map_err(|e| quarterdeck_store::StoreError::Backend(format!("coach policy: {e}")))?;
        put_setting(&mut w, "coach_policy", &json).await?;
        w.updated("settings", "coach_policy", "update", &before, &policy);
        w.commit().await?;
        Ok((policy, settings.version + 1))
    }

    async fn directory_version(&self) -> StoreResult<i64> {
        let mut r = self.pools.reader().await?;
        let (v,): (i64,) = r.conn().fetch_one(&Sql::new("SELECT version FROM directory")).await?;
        Ok(v)
    }

    async fn people_per_unit(&self, units: &[UnitId]) -> StoreResult<Vec<(UnitId, i64)>> {
        let mut out = Vec::with_capacity(units.len());
        let mut r = self.pools.reader().await?;
        for chunk in units.chunks(500) {
            let mut s = Sql::new("SELECT unit_id, COUNT(*) FROM people WHERE unit_id IN (");
            s.list(chunk.iter().copied()).push(") GROUP BY unit_id");
            let rows: Vec<(String, i64)> = r.conn().fetch_all(&s).await?;
            for (id, n) in rows {
                out.push((crate::rows::word("unit_id", &id)?, n));
            }
        }
        Ok(out)
    }

    async fn update_person(&self, ctx: &Ctx, id: PersonId, version: i64, patch: PersonPatch) -> StoreResult<Person> {
        let mut w = Writer::begin(&self.pools, ctx).await?;
        let now = w.now();
        let mut c = w.conn();
        let key = id.to_string();
        let current = found("person", id, person_in(&mut c, &key).await?)?;
        check_version("person", &key, current.version, version)?;
        let unit = patch.unit_id.unwrap_or(current.unit_id);
        let manager = patch.manager_id.unwrap_or(current.manager_id);
        if patch.unit_id.is_some() {
            require_ref(&mut c, "units", "unit", "unit_id", unit.map(|u| u.to_string())).await?;
        }
        if let Some(m) = manager.filter(|_| patch.manager_id.is_some()) {
            require_ref(&mut c, "people", "person", "manager_id", Some(m.to_string())).await?;
            let chain = ancestors(&mut c, "people", "manager_id", &m.to_string()).await?;
            check_tree_move(&key, &chain, DomainError::ManagerCycle)?;
        }
        let email = patch.email.map(|e| e.as_str().to_owned()).unwrap_or(current.email.clone());
        let update = q!(
            "UPDATE people SET version = version + 1, updated_at = $1, name = $2, email = $3, unit_id = $4, \
             manager_id = $5 WHERE id = $6 AND version = $7",
            now,
            patch.name.map(|n| n.into_string()).unwrap_or(current.name.clone()),
            &email,
            unit,
            manager,
            &key,
            version
        );
        applied("person", &key, c.execute_unique(&update, "email", &email).await?, version)?;
        let person = found("person", id, person_in(&mut c, &key).await?)?;
        w.updated("person", id, "update", &current, &person);
        w.commit().await?;
        Ok(person)
    }
}
