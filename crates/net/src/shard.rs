//! Splitting one run across machines: `--shard K/N` keeps the cases whose id falls in
//! bucket K of N. The bucket comes from a hash of the case id alone, so every machine,
//! every rerun and every resume agrees on it without coordination, and the N shards
//! partition the config exactly. `--shard auto` takes K/N from the task's place in a Slurm
//! job array or a Kubernetes Indexed Job, so one command line serves every task.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Whether the case with this id belongs to this shard.
    pub fn contains(&self, case_id: &str) -> bool {
        bucket(case_id, self.count) == self.index - 1
    }
}

/// The first 8 bytes of sha256(id), as a number, modulo `count`: stable everywhere.
fn bucket(case_id: &str, count: u32) -> u32 {
    let digest = Sha256::digest(case_id.as_bytes());
    let head = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (head % u64::from(count)) as u32
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || format!("a shard is K/N with 1 <= K <= N, e.g. 2/4; got {text:?}");
        let (k, n) = text.split_once('/').ok_or_else(usage)?;
        let index: u32 = k.trim().parse().map_err(|_| usage())?;
        let count: u32 = n.trim().parse().map_err(|_| usage())?;
        if index == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What `--shard` asks for: a shard given by hand, or `auto`, read once at start-up from
/// the scheduler that started the process (see `resolve`), so one command line serves
/// every task of a job array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardArg {
    Fixed(Shard),
    Auto,
}

impl FromStr for ShardArg {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim().eq_ignore_ascii_case("auto") {
            return Ok(ShardArg::Auto);
        }
        text.parse().map(ShardArg::Fixed).map_err(|e| {
            format!("{e}; or `auto` to read it from a Slurm job array or a Kubernetes Indexed Job")
        })
    }
}

const SLURM_ID: &str = "SLURM_ARRAY_TASK_ID";
const SLURM_MIN: &str = "SLURM_ARRAY_TASK_MIN";
const SLURM_MAX: &str = "SLURM_ARRAY_TASK_MAX";
const SLURM_COUNT: &str = "SLURM_ARRAY_TASK_COUNT";
const SLURM_STEP: &str = "SLURM_ARRAY_TASK_STEP";
const K8S_INDEX: &str = "JOB_COMPLETION_INDEX";
/// The number of shards under a Kubernetes Indexed Job, which does not export its
/// `completions`: set it in the Job's `env` (or give `--shard-count`, which wins).
pub(crate) const COUNT_VAR: &str = "LIVECLIN_SHARD_COUNT";

/// Every variable `--shard auto` reads, in the order it reports them (tests clear them
/// all, so a test run inside a real job array is not mistaken for one of its tasks).
pub const SCHEDULER_VARS: [&str; 7] = [
    SLURM_ID,
    SLURM_MIN,
    SLURM_MAX,
    SLURM_COUNT,
    SLURM_STEP,
    K8S_INDEX,
    COUNT_VAR,
];

/// Looks up one variable: the process environment in the binary, a table in tests.
type Vars<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A shard read from the scheduler, and what it was read from (`NAME=value, ...`) for the
/// log, so a wrong split can be traced to the variables that made it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Detected {
    pub shard: Shard,
    pub from: String,
}

/// The shard of this task of a Slurm job array or a Kubernetes Indexed Job, or why there
/// is none. Only reads through `vars`, so every case is testable without touching the
/// process environment. `count_flag` is `--shard-count`.
pub(crate) fn from_scheduler(vars: Vars, count_flag: Option<u32>) -> Result<Detected, String> {
    let given = given_count(vars, count_flag)?;
    let shard = match (number(vars, SLURM_ID)?, number(vars, K8S_INDEX)?) {
        (Some(id), None) => slurm(vars, id)?,
        (None, Some(index)) => kubernetes(index, given.as_ref())?,
        (Some(_), Some(_)) => {
            return Err(format!(
                "--shard auto found both {SLURM_ID} (Slurm) and {K8S_INDEX} (Kubernetes) and \
                 will not guess which scheduler numbers this task; unset one, or give --shard K/N"
            ));
        }
        (None, None) => {
            return Err(format!(
                "--shard auto found no job array: it looks for {SLURM_ID} (a Slurm job array, \
                 `sbatch --array`, with {SLURM_MIN}/{SLURM_MAX} or {SLURM_COUNT}) and {K8S_INDEX} \
                 (a Kubernetes Indexed Job, with --shard-count N or {COUNT_VAR}), and neither is \
                 set. Run it as a task of one, or give --shard K/N."
            ));
        }
    };
    if let Some((count, source)) = &given
        && *count != shard.count
    {
        return Err(format!(
            "{source} but the job array has {} tasks: fix one so every task agrees on the split",
            shard.count
        ));
    }
    // The flag overrides the count variable: listing both would blame the wrong one.
    let mut from: Vec<String> = SCHEDULER_VARS
        .iter()
        .filter(|&&name| count_flag.is_none() || name != COUNT_VAR)
        .filter_map(|name| vars(name).map(|value| format!("{name}={value}")))
        .collect();
    if let Some(n) = count_flag {
        from.push(format!("--shard-count {n}"));
    }
    Ok(Detected {
        shard,
        from: from.join(", "),
    })
}

/// `name`'s value as a number: `None` when unset, an error naming it when not a number.
fn number(vars: Vars, name: &str) -> Result<Option<u32>, String> {
    vars(name)
        .map(|value| {
            value
                .trim()
                .parse()
                .map_err(|_| format!("{name}={value:?} is not a whole number"))
        })
        .transpose()
}

/// The shard count given by hand (`--shard-count`, else `LIVECLIN_SHARD_COUNT`) and how it
/// was given, for messages. Kubernetes needs it; under Slurm it is checked against the
/// array, so a command copied from one cluster to another cannot split differently.
fn given_count(vars: Vars, count_flag: Option<u32>) -> Result<Option<(u32, String)>, String> {
    Ok(match (count_flag, number(vars, COUNT_VAR)?) {
        (Some(n), _) => Some((n, format!("--shard-count is {n}"))),
        (None, Some(n)) => Some((n, format!("{COUNT_VAR} is {n}"))),
        (None, None) => None,
    })
}

/// A task of a Slurm job array. Its ids are a contiguous range that may start at 0 or 1
/// (or anywhere): the shard is the id's place in it. Slurm exports the range's first id,
/// last id and size; any two fix it, and all three must agree, which catches an array
/// with gaps (`--array=1,3,7`, or a resubmission of some tasks). A step (`--array=0-15:4`)
/// is refused too: guessing how such ids map to shards could run cases twice or never.
fn slurm(vars: Vars, id: u32) -> Result<Shard, String> {
    if let Some(step) = number(vars, SLURM_STEP)?
        && step != 1
    {
        return Err(format!(
            "{SLURM_STEP}={step}: --shard auto needs a job array without a step (e.g. \
             `--array=0-3`, not `--array=0-15:{step}`), or give --shard K/N"
        ));
    }
    let (min, max, size) = (
        number(vars, SLURM_MIN)?,
        number(vars, SLURM_MAX)?,
        number(vars, SLURM_COUNT)?,
    );
    let (first, count) = match (min, max, size) {
        (Some(min), Some(max), size) if max >= min => {
            let span = (max - min).saturating_add(1);
            if let Some(size) = size.filter(|&size| size != span) {
                return Err(format!(
                    "{SLURM_COUNT}={size} but the ids run from {SLURM_MIN}={min} to \
                     {SLURM_MAX}={max}: a job array with gaps (e.g. `--array=1,3,7`) cannot \
                     name its shards; submit a contiguous range (`--array=0-{}`), or rerun \
                     one shard with --shard K/N",
                    size.saturating_sub(1)
                ));
            }
            (min, span)
        }
        (Some(min), None, Some(size)) => (min, size),
        (None, Some(max), Some(size)) if size >= 1 && max >= size - 1 => (max - (size - 1), size),
        _ => {
            return Err(format!(
                "{SLURM_ID} is set, but not the array's range: --shard auto needs two of \
                 {SLURM_MIN}, {SLURM_MAX} and {SLURM_COUNT} (Slurm sets all three) to know \
                 whether the ids start at 0, 1 or elsewhere"
            ));
        }
    };
    let place = id.checked_sub(first).filter(|&place| place < count);
    let place = place
        .ok_or_else(|| format!("{SLURM_ID}={id} is not in the array's {count} ids from {first}"))?;
    Ok(Shard {
        index: place + 1,
        count,
    })
}

/// A pod of a Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` counts from 0, and the count
/// must be given (Kubernetes does not export the Job's `completions`).
fn kubernetes(index: u32, given: Option<&(u32, String)>) -> Result<Shard, String> {
    let Some((count, source)) = given else {
        return Err(format!(
            "{K8S_INDEX}={index} (a Kubernetes Indexed Job) but no shard count: Kubernetes does \
             not export the Job's completions; give --shard-count N or set {COUNT_VAR}=N, N \
             being the Job's `completions`"
        ));
    };
    if index >= *count {
        return Err(format!(
            "{K8S_INDEX}={index} but {source}: indexes run from 0 to N-1, so N must be the \
             Job's `completions`"
        ));
    }
    Ok(Shard {
        index: index + 1,
        count: *count,
    })
}

/// A variable of this process's environment; an empty one counts as unset, as in a job
/// script's `${VAR:-}`.
fn process_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// `--shard` as a concrete shard for the rest of the run, resolved once at start-up:
/// `auto` reads the scheduler's variables from the environment and says which it used.
/// `--shard-count` only means something with `auto` (with K/N the count is N).
pub fn resolve(arg: Option<ShardArg>, count_flag: Option<u32>) -> anyhow::Result<Option<Shard>> {
    match arg {
        Some(ShardArg::Auto) => {
            let found = from_scheduler(&process_var, count_flag).map_err(anyhow::Error::msg)?;
            liveclin_term::say!("--shard auto: shard {} from {}", found.shard, found.from);
            Ok(Some(found.shard))
        }
        _ if count_flag.is_some() => {
            anyhow::bail!("--shard-count goes with --shard auto; with --shard K/N the count is N")
        }
        Some(ShardArg::Fixed(shard)) => Ok(Some(shard)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_cases_evenly_and_stably() {
        let ids: Vec<String> = (0..3000)
            .map(|i| format!("PMC{}", 1_000_000 + i * 7))
            .collect();
        let shards: Vec<Shard> = (1..=4).map(|k| format!("{k}/4").parse().unwrap()).collect();
        for id in &ids {
            assert_eq!(shards.iter().filter(|s| s.contains(id)).count(), 1, "{id}");
        }
        for shard in &shards {
            let n = ids.iter().filter(|id| shard.contains(id)).count();
            assert!((600..=900).contains(&n), "{shard}: {n} cases");
        }
        // Fixed forever: a change here would split a running multi-machine job differently.
        assert_eq!(
            (0..8)
                .map(|i| bucket(&format!("{i}"), 3))
                .collect::<Vec<_>>(),
            FIXED
        );
    }

    /// sha256("0".."7")[..8] mod 3, computed independently (Python's hashlib).
    const FIXED: [u32; 8] = [0, 1, 1, 1, 1, 2, 0, 2];

    /// A stand-in environment holding exactly `pairs`.
    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    /// The shard `pairs` (and `--shard-count`) give, as K/N, or the refusal.
    fn detect(pairs: &[(&str, &str)], count_flag: Option<u32>) -> Result<String, String> {
        from_scheduler(&env(pairs), count_flag).map(|found| found.shard.to_string())
    }

    /// The refusal `pairs` give; panics if they give a shard.
    fn refusal(pairs: &[(&str, &str)], count_flag: Option<u32>) -> String {
        detect(pairs, count_flag).expect_err("refused")
    }

    #[test]
    fn slurm_arrays_starting_at_0_or_1_give_the_same_shards() {
        for (first, last) in [("0", "3"), ("1", "4"), ("10", "13")] {
            let shards: Vec<String> = (0..4u32)
                .map(|i| {
                    let id = (first.parse::<u32>().unwrap() + i).to_string();
                    let vars = [
                        (SLURM_ID, id.as_str()),
                        (SLURM_MIN, first),
                        (SLURM_MAX, last),
                        (SLURM_COUNT, "4"),
                        (SLURM_STEP, "1"),
                    ];
                    detect(&vars, None).unwrap()
                })
                .collect();
            assert_eq!(
                shards,
                ["1/4", "2/4", "3/4", "4/4"],
                "--array={first}-{last}"
            );
        }
    }

    #[test]
    fn slurm_count_stands_in_for_min_or_max() {
        let id = (SLURM_ID, "2");
        for vars in [
            [id, (SLURM_MIN, "1"), (SLURM_MAX, "4")],
            [id, (SLURM_MIN, "1"), (SLURM_COUNT, "4")],
            [id, (SLURM_MAX, "4"), (SLURM_COUNT, "4")],
        ] {
            assert_eq!(detect(&vars, None).as_deref(), Ok("2/4"), "{vars:?}");
        }
        // COUNT alone cannot tell an array of 0-3 from one of 1-4.
        let alone = refusal(&[id, (SLURM_COUNT, "4")], None);
        assert!(
            alone.contains(SLURM_MIN) && alone.contains(SLURM_MAX),
            "{alone}"
        );
    }

    #[test]
    fn slurm_refuses_a_step_gaps_and_ids_outside_the_array() {
        let stride = [
            (SLURM_ID, "4"),
            (SLURM_MIN, "0"),
            (SLURM_MAX, "12"),
            (SLURM_COUNT, "4"),
            (SLURM_STEP, "4"),
        ];
        let stride = refusal(&stride, None);
        assert!(stride.contains("SLURM_ARRAY_TASK_STEP=4"), "{stride}");
        let sparse = [
            (SLURM_ID, "3"),
            (SLURM_MIN, "1"),
            (SLURM_MAX, "7"),
            (SLURM_COUNT, "3"),
            (SLURM_STEP, "1"),
        ];
        assert!(refusal(&sparse, None).contains("gaps"));
        let outside = [(SLURM_ID, "0"), (SLURM_MIN, "1"), (SLURM_MAX, "4")];
        assert!(refusal(&outside, None).contains("SLURM_ARRAY_TASK_ID=0 is not in"));
        let garbled = [(SLURM_ID, "3"), (SLURM_MIN, "one"), (SLURM_MAX, "4")];
        assert!(refusal(&garbled, None).contains("SLURM_ARRAY_TASK_MIN=\"one\""));
    }

    #[test]
    fn a_given_count_must_agree_with_the_slurm_array() {
        let vars = [(SLURM_ID, "1"), (SLURM_MIN, "1"), (SLURM_MAX, "4")];
        assert_eq!(detect(&vars, Some(4)).as_deref(), Ok("1/4"));
        assert!(refusal(&vars, Some(3)).contains("--shard-count is 3 but the job array has 4"));
        let with_var = [vars.as_slice(), &[(COUNT_VAR, "5")]].concat();
        assert!(refusal(&with_var, None).contains("LIVECLIN_SHARD_COUNT is 5"));
    }

    #[test]
    fn kubernetes_indexes_count_from_0_and_need_the_count() {
        let index = |i: &'static str| (K8S_INDEX, i);
        assert_eq!(detect(&[index("0")], Some(3)).as_deref(), Ok("1/3"));
        assert_eq!(
            detect(&[index("2"), (COUNT_VAR, "3")], None).as_deref(),
            Ok("3/3")
        );
        // The flag wins over the variable.
        assert_eq!(
            detect(&[index("2"), (COUNT_VAR, "9")], Some(3)).as_deref(),
            Ok("3/3")
        );
        let missing = refusal(&[index("0")], None);
        assert!(
            missing.contains("--shard-count") && missing.contains(COUNT_VAR),
            "{missing}"
        );
        assert!(refusal(&[index("3")], Some(3)).contains("JOB_COMPLETION_INDEX=3 but"));
    }

    #[test]
    fn no_scheduler_or_two_are_refused_naming_the_variables() {
        let none = refusal(&[], None);
        assert!(
            none.contains(SLURM_ID) && none.contains(K8S_INDEX),
            "{none}"
        );
        let both = refusal(
            &[(SLURM_ID, "1"), (SLURM_COUNT, "2"), (K8S_INDEX, "0")],
            Some(2),
        );
        assert!(both.contains("both"), "{both}");
    }

    #[test]
    fn the_variables_used_are_reported() {
        let vars = [(SLURM_ID, "0"), (SLURM_MIN, "0"), (SLURM_MAX, "1")];
        let found = from_scheduler(&env(&vars), None).unwrap();
        assert_eq!(
            found.from,
            "SLURM_ARRAY_TASK_ID=0, SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_MAX=1"
        );
        let found = from_scheduler(&env(&[(K8S_INDEX, "1")]), Some(2)).unwrap();
        assert_eq!(found.from, "JOB_COMPLETION_INDEX=1, --shard-count 2");
        let overridden = env(&[(K8S_INDEX, "1"), (COUNT_VAR, "9")]);
        let found = from_scheduler(&overridden, Some(2)).unwrap();
        assert_eq!(found.from, "JOB_COMPLETION_INDEX=1, --shard-count 2");
    }

    #[test]
    fn shard_arg_syntax() {
        assert_eq!("auto".parse::<ShardArg>(), Ok(ShardArg::Auto));
        assert_eq!(
            "2/4".parse::<ShardArg>(),
            Ok(ShardArg::Fixed(Shard { index: 2, count: 4 }))
        );
        assert!(
            "automatic"
                .parse::<ShardArg>()
                .unwrap_err()
                .contains("`auto`")
        );
    }

    #[test]
    fn shard_count_goes_only_with_auto() {
        let fixed = Some(ShardArg::Fixed(Shard { index: 2, count: 4 }));
        assert_eq!(
            resolve(fixed, None).unwrap(),
            Some(Shard { index: 2, count: 4 })
        );
        assert!(
            resolve(fixed, Some(4))
                .unwrap_err()
                .to_string()
                .contains("--shard-count")
        );
        assert_eq!(resolve(None, None).unwrap(), None);
    }

    #[test]
    fn shard_syntax() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("1/1".parse::<Shard>().unwrap().to_string(), "1/1");
        for bad in ["0/4", "5/4", "4", "a/b", "1/0", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
