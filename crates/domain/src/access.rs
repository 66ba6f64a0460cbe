//! Who may do what: roles, token scopes, and the one rule deciding whether a party may take
//! an action. The application layer asks [`permits`] before every use case, with the facts of
//! the record at hand (its unit and the units above it, its owner, whether it is a draft), so
//! the JSON API, the command line and the web pages can never decide differently.
//!
//! Reading is open to every signed-in party (the method's transparency rule: everyone sees
//! every objective and KPI); only writes are graded by role.

use crate::ids::{KpiId, PersonId, TokenId, UnitId, UserId};
use crate::word_enum;
use std::collections::BTreeSet;

word_enum!(
    /// What a user may change.
    Role {
        /// Everything: the organisation, cycles, users, settings, every OKR and KPI.
        Admin = "admin",
        /// The OKRs and KPIs of their unit and of every unit below it.
        Lead = "lead",
        /// Their own key results and check-ins, the KPIs they own, drafts in their unit.
        Member = "member",
        /// Reads only.
        Viewer = "viewer",
    }
);

word_enum!(
    /// What an API token may do, within its user's role (a scope never widens the role).
    Scope {
        /// Read everything the user can read.
        Read = "read",
        /// Record check-ins.
        CheckIn = "check-in",
        /// Push measurements to the KPIs named on the token (and no others).
        KpiPush = "kpi:push",
        /// Every write the user may make, except administration.
        Write = "write",
        /// Everything the user may do, administration included.
        Admin = "admin",
    }
);

/// The scopes of a token, and the KPIs its `kpi:push` is limited to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes {
    pub scopes: BTreeSet<Scope>,
    pub kpis: BTreeSet<KpiId>,
}

impl Scopes {
    pub fn new(scopes: impl IntoIterator<Item = Scope>, kpis: impl IntoIterator<Item = KpiId>) -> Scopes {
        Scopes { scopes: scopes.into_iter().collect(), kpis: kpis.into_iter().collect() }
    }

    fn has(&self, s: Scope) -> bool {
        self.scopes.contains(&s)
    }

    /// Whether these scopes cover the action, before the role is asked.
    fn cover(&self, action: &Action) -> bool {
        let write = self.has(Scope::Write) || self.has(Scope::Admin);
        match action {
            // Any token reads: a push or check-in script has to find what it writes to.
            Action::Read => true,
            Action::Administer => self.has(Scope::Admin),
            Action::EditOkr(_) | Action::EditKeyResult(_) | Action::EditKpi(_) => write,
            Action::CheckIn(_) => write || self.has(Scope::CheckIn),
            Action::PushMeasurements { kpi, .. } => write || (self.has(Scope::KpiPush) && self.kpis.contains(kpi)),
        }
    }
}

/// The facts about a record that decide who may change it: its unit followed by every unit
/// above it (empty for a record of no unit), its owner, and whether it is still a draft
/// (an objective in draft, or anything of a cycle still being planned).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    pub units: Vec<UnitId>,
    pub owner: Option<PersonId>,
    pub draft: bool,
}

/// What a use case is about to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Read anything.
    Read,
    /// Change the organisation, cycles, settings, users or data of everyone.
    Administer,
    /// Create or change an objective (its key results' list included) or an alignment.
    EditOkr(Target),
    /// Change a key result, or its initiatives: its owner may, wherever the objective sits.
    EditKeyResult(Target),
    /// Record a check-in on a key result.
    CheckIn(Target),
    /// Define or change a KPI, its links, tree edges and data sources.
    EditKpi(Target),
    /// Send measurements to a KPI.
    PushMeasurements { kpi: KpiId, target: Target },
}

/// A user, as far as rights go: the role, and the person and unit of the organisation they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user: UserId,
    pub role: Role,
    pub person: Option<PersonId>,
    pub unit: Option<UnitId>,
}

/// The rights a party brings to a use case.
#[derive(Debug, Clone, PartialEq)]
pub enum Rights {
    /// The operator's own hands: the command line on the server, jobs, imports, guardrails.
    System,
    /// Nobody signed in; reads only when the organisation allows anonymous reading.
    Anonymous { read: bool },
    /// A signed-in user, directly or through one of their tokens.
    User { member: Member, token: Option<(TokenId, Scopes)> },
}

/// Why a party may not act: nobody is signed in, or the one signed in lacks the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unauthenticated,
    Forbidden,
}

/// Whether a role allows the action on its own (a token's scopes come on top).
pub fn role_allows(member: &Member, action: &Action) -> bool {
    let own = |t: &Target| t.owner.is_some() && t.owner == member.person;
    let below = |t: &Target| member.unit.is_some_and(|u| t.units.contains(&u));
    let home = |t: &Target| member.unit.is_some() && t.units.first() == member.unit.as_ref();
    match (member.role, action) {
        (_, Action::Read) | (Role::Admin, _) => true,
        (Role::Viewer, _) | (_, Action::Administer) => false,
        (Role::Lead, Action::EditOkr(t) | Action::EditKeyResult(t) | Action::CheckIn(t) | Action::EditKpi(t))
        | (Role::Lead, Action::PushMeasurements { target: t, .. }) => below(t) || own(t),
        // Objectives of their own unit: their own, and drafts.
        (Role::Member, Action::EditOkr(t)) => home(t) && (own(t) || t.draft),
        (Role::Member, Action::EditKeyResult(t)) => own(t) || (t.draft && home(t)),
        (Role::Member, Action::CheckIn(t)) | (Role::Member, Action::PushMeasurements { target: t, .. }) => own(t),
        (Role::Member, Action::EditKpi(_)) => false,
    }
}

/// The one rule: may a party with these rights take this action?
pub fn permits(rights: &Rights, action: &Action) -> Result<(), Refusal> {
    match rights {
        Rights::System => Ok(()),
        Rights::Anonymous { read } => {
            if *read && *action == Action::Read {
                Ok(())
            } else {
                Err(Refusal::Unauthenticated)
            }
        }
        Rights::User { member, token } => {
            let scoped = token.as_ref().is_none_or(|(_, s)| s.cover(action));
            if scoped && role_allows(member, action) { Ok(()) } else { Err(Refusal::Forbidden) }
        }
    }
}

impl Rights {
    /// Whether every write is allowed without looking at the record (saves the lookups the
    /// finer rules need: the system, an admin with full scope).
    pub fn unbounded(&self) -> bool {
        match self {
            Rights::System => true,
            Rights::Anonymous { .. } => false,
            Rights::User { member, token } => {
                member.role == Role::Admin && token.as_ref().is_none_or(|(_, s)| s.has(Scope::Admin))
            }
        }
    }
}

impl Role {
    /// How much a role may do, for picking the strongest of several (admin highest).
    fn rank(self) -> u8 {
        match self {
            Role::Admin => 3,
            Role::Lead => 2,
            Role::Member => 1,
            Role::Viewer => 0,
        }
    }
}

/// The role a single-sign-on user gets from the groups their identity provider names: the
/// strongest role any of their groups maps to, or the default when none does.
pub fn role_from_groups(groups: &[String], map: &[(String, Role)], default: Role) -> Role {
    map.iter()
        .filter(|(group, _)| groups.iter().any(|g| g == group))
        .map(|(_, role)| *role)
        .max_by_key(|r| r.rank())
        .unwrap_or(default)
}

/// Reads a group-to-role map written `group=role,group=role` (the operator's setting).
pub fn parse_group_roles(text: &str) -> Result<Vec<(String, Role)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (group, role) =
                pair.split_once('=').ok_or_else(|| format!("'{pair}' is not group=role (e.g. okr-admins=admin)"))?;
            Ok((group.trim().to_owned(), role.trim().parse::<Role>()?))
        })
        .collect()
}

/// The least a password must be: long enough that guessing it online is hopeless
/// (NIST SP 800-63B asks for 8 at least; 10 leaves a margin), and not longer than a hash
/// function should be asked to read.
pub fn check_password(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 10 {
        Err("a password has at least 10 characters")
    } else if n > 256 {
        Err("a password has at most 256 characters")
    } else if password.trim().is_empty() {
        Err("a password is not only spaces")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn unit(n: u128) -> UnitId {
        UnitId(Uuid::from_u128(n))
    }
    fn person(n: u128) -> PersonId {
        PersonId(Uuid::from_u128(n))
    }
    fn member(role: Role) -> Member {
        Member { user: UserId(Uuid::from_u128(9)), role, person: Some(person(1)), unit: Some(unit(2)) }
    }
    fn user(role: Role) -> Rights {
        Rights::User { member: member(role), token: None }
    }

    /// Team 3 sits in department 2, below company 1; person 1 is a member of department 2.
    fn team_kr(owner: u128, draft: bool) -> Target {
        Target { units: vec![unit(3), unit(2), unit(1)], owner: Some(person(owner)), draft }
    }

    #[test]
    fn each_role_does_what_the_method_gives_it() {
        let others = team_kr(5, false);
        let company = Target { units: vec![unit(1)], owner: Some(person(5)), draft: true };
        let home_draft = Target { units: vec![unit(2), unit(1)], owner: Some(person(5)), draft: true };
        let home_active = Target { draft: false, ..home_draft.clone() };
        let table: &[(Role, Action, bool)] = &[
            (Role::Admin, Action::Administer, true),
            (Role::Lead, Action::Administer, false),
            (Role::Lead, Action::EditOkr(others.clone()), true),
            (Role::Lead, Action::EditOkr(company.clone()), false),
            (Role::Lead, Action::EditKpi(others.clone()), true),
            (Role::Member, Action::CheckIn(team_kr(1, false)), true),
            (Role::Member, Action::CheckIn(others.clone()), false),
            (Role::Member, Action::EditOkr(home_draft), true),
            (Role::Member, Action::EditOkr(home_active), false),
            (Role::Member, Action::EditOkr(company), false),
            // Their own objective, but in another unit: no; their own key result there: yes.
            (Role::Member, Action::EditOkr(team_kr(1, false)), false),
            (Role::Member, Action::EditKeyResult(team_kr(1, false)), true),
            (Role::Member, Action::EditKeyResult(team_kr(5, false)), false),
            (Role::Member, Action::EditKpi(team_kr(1, true)), false),
            (Role::Viewer, Action::CheckIn(team_kr(1, false)), false),
            (Role::Viewer, Action::Read, true),
        ];
        for (role, action, want) in table {
            assert_eq!(permits(&user(*role), action).is_ok(), *want, "{role} {action:?}");
        }
    }

    #[test]
    fn nobody_signed_in_reads_only_when_allowed_and_never_writes() {
        assert_eq!(permits(&Rights::Anonymous { read: false }, &Action::Read), Err(Refusal::Unauthenticated));
        assert_eq!(permits(&Rights::Anonymous { read: true }, &Action::Read), Ok(()));
        assert_eq!(
            permits(&Rights::Anonymous { read: true }, &Action::CheckIn(Target::default())),
            Err(Refusal::Unauthenticated)
        );
    }

    #[test]
    fn a_push_token_reaches_its_named_kpis_only() {
        let kpi = KpiId(Uuid::from_u128(70));
        let token = Scopes::new([Scope::KpiPush], [kpi]);
        let rights = Rights::User { member: member(Role::Admin), token: Some((TokenId(Uuid::nil()), token)) };
        let push = |k| Action::PushMeasurements { kpi: k, target: Target::default() };
        assert_eq!(permits(&rights, &push(kpi)), Ok(()));
        assert_eq!(permits(&rights, &push(KpiId(Uuid::from_u128(71)))), Err(Refusal::Forbidden));
        assert_eq!(permits(&rights, &Action::CheckIn(Target::default())), Err(Refusal::Forbidden));
        assert_eq!(permits(&rights, &Action::Read), Ok(()));
        assert!(!rights.unbounded());
    }

    #[test]
    fn passwords_are_long_enough() {
        assert!(check_password("short").is_err());
        assert!(check_password("          ").is_err());
        assert!(check_password("correct horse").is_ok());
        assert!(check_password(&"x".repeat(257)).is_err());
    }

    #[test]
    fn groups_map_to_the_strongest_role() {
        let map = parse_group_roles("okr-admins=admin, team-leads=lead").unwrap();
        let groups = |g: &[&str]| g.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(role_from_groups(&groups(&["team-leads", "okr-admins"]), &map, Role::Viewer), Role::Admin);
        assert_eq!(role_from_groups(&groups(&["team-leads"]), &map, Role::Viewer), Role::Lead);
        assert_eq!(role_from_groups(&groups(&["staff"]), &map, Role::Member), Role::Member);
        assert!(parse_group_roles("okr-admins").is_err());
        assert!(parse_group_roles("okr-admins=root").is_err());
        assert_eq!(parse_group_roles("").unwrap(), vec![]);
    }

    fn any_role() -> impl Strategy<Value = Role> {
        prop::sample::select(Role::ALL.to_vec())
    }
    fn any_scopes() -> impl Strategy<Value = Scopes> {
        (prop::sample::subsequence(Scope::ALL.to_vec(), 0..=Scope::ALL.len()), any::<bool>())
            .prop_map(|(s, named)| Scopes::new(s, named.then(|| KpiId(Uuid::from_u128(70)))))
    }
    fn any_target() -> impl Strategy<Value = Target> {
        (prop::collection::vec(1u128..5, 0..4), prop::option::of(1u128..4), any::<bool>()).prop_map(
            |(units, owner, draft)| Target {
                units: units.into_iter().map(unit).collect(),
                owner: owner.map(person),
                draft,
            },
        )
    }
    fn any_action() -> impl Strategy<Value = Action> {
        (0..7u8, any_target(), 69u128..72).prop_map(|(n, t, k)| match n {
            0 => Action::Read,
            1 => Action::Administer,
            2 => Action::EditOkr(t),
            3 => Action::CheckIn(t),
            4 => Action::EditKpi(t),
            5 => Action::EditKeyResult(t),
            _ => Action::PushMeasurements { kpi: KpiId(Uuid::from_u128(k)), target: t },
        })
    }

    proptest! {
        /// A token never does more than its user could; an admin with full scope does everything.
        #[test]
        fn scopes_never_widen_a_role(role in any_role(), scopes in any_scopes(), action in any_action()) {
            let bare = user(role);
            let tokened = Rights::User { member: member(role), token: Some((TokenId(Uuid::nil()), scopes.clone())) };
            if permits(&tokened, &action).is_ok() {
                prop_assert!(permits(&bare, &action).is_ok());
            }
            if tokened.unbounded() {
                prop_assert!(permits(&tokened, &action).is_ok());
            }
            prop_assert!(permits(&Rights::System, &action).is_ok());
            prop_assert!(permits(&tokened, &Action::Read).is_ok());
        }

        /// A mapped role is one of the mapped ones or the default, and never weaker than any
        /// mapped group the user is in.
        #[test]
        fn group_roles_pick_the_strongest(mine in prop::collection::vec(0usize..4, 0..4), default in any_role()) {
            let map: Vec<(String, Role)> = Role::ALL.iter().enumerate().map(|(i, r)| (format!("g{i}"), *r)).collect();
            let groups: Vec<String> = mine.iter().map(|i| format!("g{i}")).collect();
            let got = role_from_groups(&groups, &map, default);
            if groups.is_empty() {
                prop_assert_eq!(got, default);
            }
            for i in &mine {
                prop_assert!(got.rank() >= Role::ALL[*i].rank());
            }
        }

        /// Roles are ordered: whatever a viewer may, a member may; whatever a member may, an admin may.
        #[test]
        fn roles_nest(action in any_action()) {
            let ok = |r| permits(&user(r), &action).is_ok();
            prop_assert!(!ok(Role::Viewer) || ok(Role::Member));
            prop_assert!(!ok(Role::Member) || ok(Role::Admin));
            prop_assert!(!ok(Role::Lead) || ok(Role::Admin));
        }
    }
}
