//! The scale decision, as a pure function of what the group's drivers are doing: which
//! drivers to launch and which to retire so the group reaches its target. The supervisor
//! applies the plan; the decision itself touches no process, lock or clock.

/// What the decision needs to know about one driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DriverView {
    pub(crate) id: String,
    /// Its agent answered READY.
    pub(crate) ready: bool,
    /// It runs a request.
    pub(crate) busy: bool,
    /// A stop was asked (its end is expected).
    pub(crate) stopping: bool,
    /// It leaves once its request is answered.
    pub(crate) retiring: bool,
    /// Launched with jars the group no longer has (a watched jar was rebuilt since).
    pub(crate) outdated: bool,
}

impl DriverView {
    fn staying(&self) -> bool {
        !self.stopping && !self.retiring
    }

    /// Counts towards the target.
    fn serving(&self) -> bool {
        self.staying() && !self.outdated
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Retire {
    pub(crate) id: String,
    pub(crate) reason: &'static str,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScalePlan {
    /// New drivers to launch.
    pub(crate) launch: u32,
    /// Drivers to retire: idle ones stop at once, busy ones once their request is answered.
    pub(crate) retire: Vec<Retire>,
}

pub(crate) const SCALED_DOWN: &str = "the group was scaled down";
pub(crate) const ROLLED_OVER: &str = "the driver was replaced after its jar was rebuilt";

/// Brings the group to `target` drivers. Outdated drivers keep serving until as many
/// up-to-date ones as the target are READY, then retire together; extra drivers retire
/// idle ones first (those not ready yet count as idle), then busy ones; missing ones are
/// launched only when `may_launch` (not while closing or backing off after failures).
pub(crate) fn plan_scale(drivers: &[DriverView], target: u32, may_launch: bool) -> ScalePlan {
    let target = target as usize;
    let mut plan = ScalePlan::default();
    let ready = drivers.iter().filter(|d| d.serving() && d.ready).count();
    if ready >= target {
        plan.retire.extend(
            drivers.iter().filter(|d| d.staying() && d.outdated).map(|d| Retire { id: d.id.clone(), reason: ROLLED_OVER }),
        );
    }
    let mut serving: Vec<&DriverView> = drivers.iter().filter(|d| d.serving()).collect();
    if serving.len() > target {
        let extra = serving.len() - target;
        serving.sort_by(|a, b| (a.busy, &a.id).cmp(&(b.busy, &b.id)));
        plan.retire.extend(serving.into_iter().take(extra).map(|d| Retire { id: d.id.clone(), reason: SCALED_DOWN }));
    } else if serving.len() < target && may_launch {
        plan.launch = u32::try_from(target - serving.len()).unwrap_or(u32::MAX);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A driver from a short code: R ready, B busy (and ready), S stopping, T retiring,
    /// O outdated, "-" launched but not ready yet.
    fn driver(id: &str, code: &str) -> DriverView {
        DriverView {
            id: id.into(),
            ready: code.contains('R') || code.contains('B'),
            busy: code.contains('B'),
            stopping: code.contains('S'),
            retiring: code.contains('T'),
            outdated: code.contains('O'),
        }
    }

    fn retire(list: &[(&str, &'static str)]) -> Vec<Retire> {
        list.iter().map(|(id, reason)| Retire { id: (*id).into(), reason }).collect()
    }

    #[test]
    fn the_plan_brings_the_group_to_its_target() {
        struct Case {
            name: &'static str,
            drivers: &'static [(&'static str, &'static str)],
            target: u32,
            may_launch: bool,
            launch: u32,
            retire: &'static [(&'static str, &'static str)],
        }
        let cases = [
            Case { name: "empty group starts its drivers", drivers: &[], target: 2, may_launch: true, launch: 2, retire: &[] },
            Case { name: "backing off: nothing launched", drivers: &[], target: 2, may_launch: false, launch: 0, retire: &[] },
            Case { name: "at target: nothing to do", drivers: &[("a", "R"), ("b", "B")], target: 2, may_launch: true, launch: 0, retire: &[] },
            Case { name: "drivers still starting count", drivers: &[("a", "-")], target: 1, may_launch: true, launch: 0, retire: &[] },
            Case {
                name: "scale down retires idle drivers first, by id",
                drivers: &[("a", "B"), ("b", "R"), ("c", "R")],
                target: 1,
                may_launch: true,
                launch: 0,
                retire: &[("b", SCALED_DOWN), ("c", SCALED_DOWN)],
            },
            Case {
                name: "scale down while all are busy retires busy ones (after their request)",
                drivers: &[("a", "B"), ("b", "B")],
                target: 1,
                may_launch: true,
                launch: 0,
                retire: &[("a", SCALED_DOWN)],
            },
            Case {
                name: "drivers not ready yet count as idle: retired by id with the ready idle ones",
                drivers: &[("a", "R"), ("b", "-")],
                target: 1,
                may_launch: true,
                launch: 0,
                retire: &[("a", SCALED_DOWN)],
            },
            Case {
                name: "a stopping driver is replaced",
                drivers: &[("a", "RS"), ("b", "R")],
                target: 2,
                may_launch: true,
                launch: 1,
                retire: &[],
            },
            Case {
                name: "a retiring driver does not count",
                drivers: &[("a", "BT")],
                target: 1,
                may_launch: true,
                launch: 1,
                retire: &[],
            },
            Case {
                name: "paused or stopped (target 0) retires everyone",
                drivers: &[("a", "R"), ("b", "B")],
                target: 0,
                may_launch: true,
                launch: 0,
                retire: &[("a", SCALED_DOWN), ("b", SCALED_DOWN)],
            },
            Case {
                name: "rebuilt jar: new drivers are launched while the old ones serve",
                drivers: &[("old", "RO")],
                target: 1,
                may_launch: true,
                launch: 1,
                retire: &[],
            },
            Case {
                name: "rebuilt jar: old drivers stay until the new ones are ready",
                drivers: &[("old", "BO"), ("new", "-")],
                target: 1,
                may_launch: true,
                launch: 0,
                retire: &[],
            },
            Case {
                name: "rebuilt jar: once the new ones are ready the old ones retire",
                drivers: &[("old1", "RO"), ("old2", "BO"), ("new", "R")],
                target: 1,
                may_launch: true,
                launch: 0,
                retire: &[("old1", ROLLED_OVER), ("old2", ROLLED_OVER)],
            },
            Case {
                name: "rebuilt jar, already retiring: not asked twice",
                drivers: &[("old", "BOT"), ("new", "R")],
                target: 1,
                may_launch: true,
                launch: 0,
                retire: &[],
            },
        ];
        for case in cases {
            let drivers: Vec<DriverView> = case.drivers.iter().map(|(id, code)| driver(id, code)).collect();
            let plan = plan_scale(&drivers, case.target, case.may_launch);
            assert_eq!(plan, ScalePlan { launch: case.launch, retire: retire(case.retire) }, "{}", case.name);
        }
    }
}
