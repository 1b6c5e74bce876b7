//! The official taxonomy of clinical stages and image and table modalities (docs/analysis.md),
//! including its quirks: stage fragments are substring matches tried in a fixed order,
//! and modality fragments such as `Electrocardiog` or `Cytolog` must end at a word
//! boundary, so "Electrocardiogram" is not a biosignal. These are the official rules on
//! purpose; changing one changes every published breakdown.

use std::sync::LazyLock;

use regex::Regex;

/// Stage categories in the order they are tried (and printed); `Other` comes last.
pub(crate) const STAGE_CATEGORIES: [(&str, &[&str]); 5] = [
    (
        "Presentation & Assessment",
        &[
            "initial",
            "present",
            "assess",
            "admission",
            "triage",
            "history",
            "complaint",
            "arrival",
            "emergency",
            "referral",
            "intake",
            r"clinical\s+eval",
            r"physical\s+exam",
            "vital",
        ],
    ),
    (
        "Diagnosis & Interpretation",
        &[
            "diagnos",
            "workup",
            "imaging",
            "patholog",
            "histopath",
            "interpret",
            "laboratory",
            "biopsy",
            "evaluation",
            r"test\b",
            "molecular",
            "immuno",
            "cytolog",
            "radiol",
            "endoscop",
            "analy[sz]",
            "differential",
            "investig",
            "genetic",
            "confirmatory",
            "staging",
            "grading",
            "classif",
            "acid.base",
            "blood.gas",
            "echocardiog",
            "electrocardio",
            "angiogra",
            "bronchoscop",
            "colonoscop",
        ],
    ),
    (
        "Therapeutic Strategy",
        &[
            "therap",
            "treatment",
            r"management\s+plan",
            "intervention",
            "surgical",
            "operat",
            "resection",
            "prescri",
            "regimen",
            "chemotherapy",
            "radiation",
            "procedur",
            "decision",
            "pharmacol",
            "dosing",
            "medication",
            "induction",
            "initiat",
            "reconstruct",
            "transplant",
            "transfus",
            "ventilat",
            "anesthetic",
            "sedation",
            "reperfu",
            "revascul",
            r"definitive\s+management",
            r"acute\s+management",
            r"medical\s+management",
            "conservative",
        ],
    ),
    (
        "Complication Management",
        &[
            "complicat",
            "deteriorat",
            "adverse",
            "relapse",
            "crisis",
            "decompens",
            "recurren",
            "failure",
            "toxic",
            "reject",
            "refractory",
            "resistant",
            "exacerbat",
            "hemorrhag",
            "infect",
            "sepsis",
            "graft.versus",
            "side.effect",
            r"acute\s+(?:kidney|renal|liver|hepat|respiratory|neuro)",
        ],
    ),
    (
        "Follow-up",
        &[
            "follow",
            "monitor",
            "surveil",
            "outcome",
            "prognos",
            "long.term",
            "recovery",
            "rehabilit",
            "discharge",
            "month",
            "year",
            "week",
            "counsel",
            "screen",
            "maintenance",
            r"recurrence\s+monitor",
        ],
    ),
];

/// The category of a stage that matches none (or is empty).
pub const OTHER_STAGE: &str = "Other";

/// Image modality keys with their whole-word fragments, in rule order.
pub(crate) const IMAGE_MODALITIES: [(&str, &[&str]); 11] = [
    ("X-ray", &["X-ray", "Radiography"]),
    ("CT", &["CT", "Computed Tomography"]),
    ("MRI", &["MRI", "Magnetic Resonance"]),
    ("Ultrasound", &["Ultrasound", "Echocardiogram", "Doppler"]),
    (
        "Clinical Photo",
        &[
            "Clinical Photograph",
            "Dermoscopy",
            "Fundus Photograph",
            "Retinography",
            "Colposcopy",
            "Cystoscopy",
        ],
    ),
    (
        "Endoscopy",
        &[
            "Endoscopy",
            "Colonoscopy",
            "Bronchoscopy",
            "Laparoscopy",
            "Hysteroscopy",
        ],
    ),
    ("Angiography", &["Angiography", "Angiogram", "Fluoroscopy"]),
    (
        "PET & SPECT",
        &[
            "PET",
            "SPECT",
            "Nuclear Medicine",
            "Bone Scan",
            "Scintigraphy",
        ],
    ),
    (
        "Pathology",
        &["Histopathology", "Gross Pathology", "Cytolog"],
    ),
    (
        "Biosignals",
        &[
            "ECG",
            "EEG",
            "Electrocardiog",
            "Electroencephalog",
            "Physiological Signal",
            "Electrocochleogram",
            "Electroretinogram",
        ],
    ),
    (
        "Diagram & Plot",
        &["Diagram", "Illustration", "Statistical Plot", "Flowchart"],
    ),
];

/// Table modality keys with their fragments. A fragment ending in `*` is a prefix (a
/// leading word boundary only); every other fragment is a whole word.
pub(crate) const TABLE_MODALITIES: [(&str, &[&str]); 9] = [
    (
        "Lab Results",
        &[
            "Laboratory",
            "Lab",
            "Blood",
            "Serum",
            "Biomarker",
            "Renal Function",
            "Liver Function",
            "Tumor Marker",
            "Vital Sign",
            "Acid.Base",
            "Organ Measurement",
            "Immun",
        ],
    ),
    (
        "Medications",
        &[
            "Medication",
            "Drug",
            "Dos",
            "Treatment Regimen",
            "Pharmaco",
            "Nutrition",
            "Treatment Plan",
            "Chemotherapy",
        ],
    ),
    (
        "Demographics",
        &["Demograph", "Baseline", "Patient", "Age", "Growth"],
    ),
    (
        "Monitoring",
        &[
            "Monitor",
            "Longitudinal",
            "Follow",
            "Survival",
            "Outcome",
            "Response",
            "Pre.Post",
            "Clinical Course",
            "Recovery",
            "Progression",
        ],
    ),
    (
        "Literature",
        &[
            "Literature",
            "Case Series",
            "Review",
            "Comparison",
            "Guideline",
        ],
    ),
    (
        "Genomics",
        &[
            "Genom*",
            "Genetic*",
            "Mutation*",
            "Primer*",
            "Sequenc*",
            "Molecular*",
        ],
    ),
    (
        "Pathology & IHC",
        &["Pathology", "Immunohistochem", "Histolog", "IHC"],
    ),
    (
        "Procedures",
        &[
            "Procedur",
            "Surgical",
            "Operati",
            "Transplant",
            "Intervention",
            "Engraftment",
            "Dosimetric",
        ],
    ),
    (
        "Staging Sys",
        &[
            "Staging",
            "Classification",
            "Scoring",
            "Grading",
            "Risk",
            "Prognost",
            "Severity",
            "Tumor",
            "TNM",
        ],
    ),
];

/// One compiled, case-insensitive pattern per key.
type Rules = Vec<(&'static str, Regex)>;

fn compile(rules: &[(&'static str, &[&str])], fragment: fn(&str) -> String) -> Rules {
    rules
        .iter()
        .map(|(key, fragments)| {
            let alternation: Vec<String> = fragments.iter().map(|f| fragment(f)).collect();
            let pattern = format!("(?i){}", alternation.join("|"));
            (
                *key,
                Regex::new(&pattern).expect("taxonomy patterns are valid"),
            )
        })
        .collect()
}

fn whole_word(fragment: &str) -> String {
    match fragment.strip_suffix('*') {
        Some(prefix) => format!(r"\b{prefix}"),
        None => format!(r"\b{fragment}\b"),
    }
}

static STAGES: LazyLock<Rules> = LazyLock::new(|| compile(&STAGE_CATEGORIES, |f| f.to_string()));
static IMAGES: LazyLock<Rules> = LazyLock::new(|| compile(&IMAGE_MODALITIES, whole_word));
static TABLES: LazyLock<Rules> = LazyLock::new(|| compile(&TABLE_MODALITIES, whole_word));

/// The broad category of a free-text stage: the first whose fragments match, else `Other`.
pub fn classify_stage(stage: &str) -> &'static str {
    if stage.is_empty() {
        return OTHER_STAGE;
    }
    STAGES
        .iter()
        .find(|(_, re)| re.is_match(stage))
        .map_or(OTHER_STAGE, |(key, _)| key)
}

/// Every image modality named in one (possibly compound) type string, in rule order.
pub fn image_modalities(type_str: &str) -> impl Iterator<Item = &'static str> + '_ {
    matching(&IMAGES, type_str)
}

/// Every table modality named in one type string, in rule order.
pub fn table_modalities(type_str: &str) -> impl Iterator<Item = &'static str> + '_ {
    matching(&TABLES, type_str)
}

fn matching<'a>(rules: &'static Rules, text: &'a str) -> impl Iterator<Item = &'static str> + 'a {
    rules
        .iter()
        .filter(|(_, re)| re.is_match(text))
        .map(|(key, _)| *key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_take_the_first_matching_category() {
        assert_eq!(
            classify_stage("Initial treatment"),
            "Presentation & Assessment"
        );
        assert_eq!(
            classify_stage("Diagnostic Workup"),
            "Diagnosis & Interpretation"
        );
        assert_eq!(
            classify_stage("Therapeutic Decision"),
            "Therapeutic Strategy"
        );
        assert_eq!(
            classify_stage("Management of Complications"),
            "Complication Management"
        );
        assert_eq!(classify_stage("Long-term Follow-up"), "Follow-up");
        assert_eq!(classify_stage("Patient Education"), "Other");
        assert_eq!(classify_stage(""), "Other");
        // Substrings, not words: "Represent" contains "present".
        assert_eq!(
            classify_stage("Representative case"),
            "Presentation & Assessment"
        );
        // `test\b` needs a word end: "testing" is not a test.
        assert_eq!(classify_stage("Blood tests"), "Other");
        assert_eq!(
            classify_stage("Confirmatory test"),
            "Diagnosis & Interpretation"
        );
        assert_eq!(
            classify_stage("Acute kidney injury"),
            "Complication Management"
        );
        assert_eq!(classify_stage("Six-month review"), "Follow-up");
    }

    #[test]
    fn image_modalities_are_whole_words_with_official_quirks() {
        let mods = |s| image_modalities(s).collect::<Vec<_>>();
        assert_eq!(mods("MRI; Histopathology"), ["MRI", "Pathology"]);
        assert_eq!(mods("Contrast-enhanced ct"), ["CT"]);
        assert_eq!(mods("PET-CT"), ["CT", "PET & SPECT"]);
        assert!(mods("Electrocardiogram").is_empty());
        assert!(mods("Cytology").is_empty());
        assert_eq!(mods("Cytolog"), ["Pathology"]);
        assert!(mods("CTA").is_empty());
        assert_eq!(mods("Echocardiogram"), ["Ultrasound"]);
    }

    #[test]
    fn table_modalities_with_prefix_fragments() {
        let mods = |s| table_modalities(s).collect::<Vec<_>>();
        assert_eq!(mods("Laboratory Results"), ["Lab Results"]);
        assert_eq!(mods("Genetic testing"), ["Genomics"]);
        assert_eq!(mods("Genetics"), ["Genomics"]);
        assert!(mods("Immunology").is_empty()); // `Immun` is a whole word
        assert_eq!(mods("Patient demographics and baseline"), ["Demographics"]);
        assert_eq!(mods("Tumor staging"), ["Staging Sys"]);
    }
}
