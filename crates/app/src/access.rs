//! Rights at the door of every use case: each write asks [`App::may`] with the action it is
//! about to take and the facts of the record (its unit and the units above, its owner, draft
//! or not), and the domain's one rule answers. The facts are looked up only when the answer
//! depends on them: the system and full-scope admins pass without a lookup.

use crate::{App, AppError, AppResult};
use quarterdeck_domain::access::{Action, Refusal, Rights, Target, permits};
use quarterdeck_domain::cycle::CycleState;
use quarterdeck_domain::error::Code;
use quarterdeck_domain::ids::{KeyResultId, KpiId, ObjectiveId, UnitId};
use quarterdeck_domain::okr::ObjectiveStatus;
use quarterdeck_store::records::Objective;

/// The answer to a refused action, in words that say what to do.
pub(crate) fn refused(refusal: Refusal, rights: &Rights) -> AppError {
    match (refusal, rights) {
        (Refusal::Unauthenticated, _) => AppError::new(
            Code::Unauthenticated,
            "sign in first, or send an API token as 'Authorization: Bearer <token>' (create one with 'quarterdeck token create')",
        ),
        (Refusal::Forbidden, Rights::User { member, token: Some(_) }) => AppError::new(
            Code::Forbidden,
            format!(
                "this token may not do that: its scopes, or the role of its user ({}), do not cover it; \
                 ask an admin or use a token with the scope",
                member.role
            ),
        ),
        (Refusal::Forbidden, Rights::User { member, .. }) => AppError::new(
            Code::Forbidden,
            format!("your role ({}) may not do that here; ask a lead of the unit or an admin", member.role),
        ),
        (Refusal::Forbidden, _) => AppError::new(Code::Forbidden, "not allowed"),
    }
}

impl App {
    /// The rights this application acts with.
    pub fn rights(&self) -> &Rights {
        &self.rights
    }

    /// The same application with other rights (the web layer's per-request principal).
    pub fn with_rights(mut self, rights: Rights) -> App {
        self.rights = rights;
        self
    }

    /// Refuses unless the rights allow the action as given.
    pub fn authorize(&self, action: &Action) -> AppResult<()> {
        permits(&self.rights, action).map_err(|r| refused(r, &self.rights))
    }

    /// Refuses unless the rights allow the action on the record whose facts `target` finds;
    /// finds them only when the answer depends on them.
    pub(crate) async fn may<F>(&self, action: impl FnOnce(Target) -> Action, target: F) -> AppResult<()>
    where
        F: Future<Output = AppResult<Target>>,
    {
        match &self.rights {
            r if r.unbounded() => Ok(()),
            Rights::Anonymous { .. } => Err(refused(Refusal::Unauthenticated, &self.rights)),
            _ => self.authorize(&action(target.await?)),
        }
    }

    /// Administration (units, people, cycles, settings, users): no record facts needed.
    pub(crate) fn may_administer(&self) -> AppResult<()> {
        self.authorize(&Action::Administer)
    }

    /// A unit followed by every unit above it.
    pub(crate) async fn unit_chain(&self, unit: Option<UnitId>) -> AppResult<Vec<UnitId>> {
        match unit {
            Some(u) => Ok(self.store().unit_chain(u).await?),
            None => Ok(Vec::new()),
        }
    }

    pub(crate) async fn objective_target(&self, o: &Objective) -> AppResult<Target> {
        let unit = match o.unit_id {
            Some(u) => Some(u),
            None => self.store().get_person(o.owner_id).await?.unit_id,
        };
        Ok(Target {
            units: self.unit_chain(unit).await?,
            owner: Some(o.owner_id),
            draft: o.status == ObjectiveStatus::Draft || o.cycle.state == CycleState::Planning,
        })
    }

    pub(crate) async fn objective_target_of(&self, id: ObjectiveId) -> AppResult<Target> {
        let o = self.store().get_objective(id).await?;
        self.objective_target(&o).await
    }

    /// A key result's facts: its objective's unit and draft state, and its own owner (or,
    /// without one, the objective's).
    pub(crate) async fn key_result_target(&self, id: KeyResultId) -> AppResult<Target> {
        let kr = self.store().get_key_result(id).await?;
        let mut target = self.objective_target_of(kr.objective_id).await?;
        if kr.owner_id.is_some() {
            target.owner = kr.owner_id;
        }
        Ok(target)
    }

    pub(crate) async fn kpi_target(&self, id: KpiId) -> AppResult<Target> {
        let kpi = self.store().get_kpi(id).await?;
        let unit = match (kpi.unit_id, kpi.owner_id) {
            (Some(u), _) => Some(u),
            (None, Some(p)) => self.store().get_person(p).await?.unit_id,
            (None, None) => None,
        };
        Ok(Target { units: self.unit_chain(unit).await?, owner: kpi.owner_id, draft: false })
    }
}

/// A change a front end may offer: pages show an edit control only where the answer is yes
/// (the use case asks again when the change is made).
#[derive(Debug, Clone, Copy)]
pub enum Offer {
    EditObjective(ObjectiveId),
    EditKeyResult(KeyResultId),
    CheckIn(KeyResultId),
    EditKpi(KpiId),
    /// Create an objective in a unit (or, without one, as the party's own).
    CreateObjective(Option<UnitId>),
    Administer,
}

impl App {
    /// Whether the acting party may make the change offered. A record that cannot be found
    /// offers nothing.
    pub async fn can(&self, offer: Offer) -> bool {
        let asked = match offer {
            Offer::EditObjective(id) => self.may(Action::EditOkr, self.objective_target_of(id)).await,
            Offer::EditKeyResult(id) => self.may(Action::EditKeyResult, self.key_result_target(id)).await,
            Offer::CheckIn(id) => self.may(Action::CheckIn, self.key_result_target(id)).await,
            Offer::EditKpi(id) => self.may(Action::EditKpi, self.kpi_target(id)).await,
            Offer::CreateObjective(unit) => {
                let owner = self.person_id();
                self.may(Action::EditOkr, async {
                    Ok(Target { units: self.unit_chain(unit).await?, owner, draft: true })
                })
                .await
            }
            Offer::Administer => self.may_administer(),
        };
        asked.is_ok()
    }
}
