"""Instrument-specific rules: QIDS domain maxima, PCL-5 clusters, WHO-5 percentage,
YMRS double-weighted items, PEG mean, flags, response and remission."""

import pytest

from ketaclinic.measures.instruments import AnswerError, load, ymrs_rise

from .helpers import uniform, with_total

# -- QIDS-SR16 -------------------------------------------------------------------------


def test_qids_scores_the_highest_item_of_each_multi_item_domain():
    qids = load("qids-sr16")
    answers = {str(i): 0 for i in range(1, 17)}
    answers |= {"1": 1, "2": 3, "3": 2, "4": 0}  # sleep: max 3
    answers |= {"6": 2, "7": 0, "8": 1, "9": 0}  # appetite/weight: max 2
    answers |= {"15": 1, "16": 2}  # psychomotor: max 2
    answers |= {"5": 1, "10": 1, "11": 2, "12": 0, "13": 3, "14": 1}  # single items: 8

    result = qids.score(answers)

    assert result.total == 3 + 2 + 2 + 8
    assert result.band == "moderate"


def test_qids_all_items_at_three_is_27_not_48():
    qids = load("qids-sr16")

    assert qids.score({str(i): 3 for i in range(1, 17)}).total == 27


def test_qids_second_item_of_a_domain_does_not_add():
    qids = load("qids-sr16")
    base = {str(i): 0 for i in range(1, 17)} | {"1": 2}

    assert qids.score(base).total == qids.score(base | {"3": 2}).total == 2
    assert qids.score(base | {"3": 3}).total == 3


@pytest.mark.parametrize(("item_12", "flagged"), [(0, False), (1, True), (3, True)])
def test_qids_item_12_flags_suicidal_ideation(item_12, flagged):
    qids = load("qids-sr16")

    result = qids.score({str(i): 0 for i in range(1, 17)} | {"12": item_12})

    assert ("suicidal_ideation" in result.flags) is flagged


# -- PCL-5 -----------------------------------------------------------------------------


def test_pcl5_cluster_subscores():
    pcl5 = load("pcl-5")
    answers = {str(i): 1 for i in range(1, 6)}  # B 1–5
    answers |= {"6": 2, "7": 2}  # C 6–7
    answers |= {str(i): 3 for i in range(8, 15)}  # D 8–14
    answers |= {str(i): 4 for i in range(15, 21)}  # E 15–20

    result = pcl5.score(answers)

    assert dict(result.subscores) == {"B": 5, "C": 4, "D": 21, "E": 24}
    assert result.total == 54


def test_pcl5_subscores_leave_out_an_incomplete_cluster():
    pcl5 = load("pcl-5")
    answers = uniform(pcl5, "min")
    del answers["6"]

    result = pcl5.score(answers)

    assert set(result.subscores) == {"B", "D", "E"}
    assert result.valid is False


@pytest.mark.parametrize(("total", "flagged"), [(0, False), (32, False), (33, True), (80, True)])
def test_pcl5_probable_ptsd_at_the_default_cutoff_33(total, flagged):
    pcl5 = load("pcl-5")

    result = pcl5.score(with_total(pcl5, total))

    assert ("probable_ptsd" in result.flags) is flagged


@pytest.mark.parametrize(("total", "flagged"), [(30, False), (31, True)])
def test_pcl5_cutoff_is_a_parameter(total, flagged):
    pcl5 = load("pcl-5")

    result = pcl5.score(with_total(pcl5, total), thresholds={"probable_ptsd": 31})

    assert ("probable_ptsd" in result.flags) is flagged


def test_unknown_threshold_name_is_refused():
    pcl5 = load("pcl-5")

    with pytest.raises(ValueError, match="no flag named 'ptsd'"):
        pcl5.score(uniform(pcl5, "min"), thresholds={"ptsd": 31})


# -- WHO-5 -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "percentage"), [(0, 0), (12, 48), (13, 52), (25, 100)])
def test_who5_percentage_is_raw_times_four(raw, percentage):
    who5 = load("who-5")

    result = who5.score(with_total(who5, raw))

    assert result.total == raw
    assert result.percentage == percentage


def test_who5_percentage_is_none_when_not_valid():
    result = load("who-5").score({"1": 5, "2": 5})

    assert (result.valid, result.total, result.percentage) == (False, None, None)


# -- YMRS ------------------------------------------------------------------------------


@pytest.mark.parametrize("item", ["5", "6", "8", "9"])
@pytest.mark.parametrize("value", [0, 1, 2, 3, 4, 5, 6, 7, 8])
def test_ymrs_double_weighted_items_take_0_to_8(item, value):
    ymrs = load("ymrs")

    result = ymrs.score(uniform(ymrs, "min") | {item: value})

    assert result.total == value


@pytest.mark.parametrize("item", ["1", "2", "3", "4", "7", "10", "11"])
def test_ymrs_other_items_stop_at_4(item):
    ymrs = load("ymrs")

    assert ymrs.score(uniform(ymrs, "min") | {item: 4}).total == 4
    with pytest.raises(AnswerError, match="out of range"):
        ymrs.score(uniform(ymrs, "min") | {item: 5})


def test_ymrs_maximum_is_seven_items_of_4_and_four_of_8():
    ymrs = load("ymrs")

    assert ymrs.score(uniform(ymrs, "max")).total == 7 * 4 + 4 * 8 == 60


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (10, 22, True),  # +12 points
        (20, 31, True),  # +11 points but +55 %
        (20, 29, False),  # +9 points, +45 %
        (20, 30, True),  # exactly +50 %
        (0, 11, False),  # from 0 only the absolute rule applies
        (0, 12, True),
        (14, 10, False),  # a fall is never a rise
        (8, 8, False),
    ],
)
def test_ymrs_rise_default_policy(baseline, current, expected):
    assert ymrs_rise(baseline, current) is expected


def test_ymrs_rise_thresholds_are_parameters():
    assert ymrs_rise(20, 25, absolute=5) is True
    assert ymrs_rise(20, 24, absolute=5, relative=0.25) is False
    assert ymrs_rise(20, 25, absolute=6, relative=0.25) is True


@pytest.mark.parametrize(("baseline", "current"), [(-1, 5), (5, 61), (True, 5), ("5", 6)])
def test_ymrs_rise_refuses_impossible_totals(baseline, current):
    with pytest.raises(ValueError, match="YMRS total"):
        ymrs_rise(baseline, current)


# -- PEG -------------------------------------------------------------------------------


def test_peg_is_the_mean_of_three_items():
    peg = load("peg")

    assert peg.score({"1": 7, "2": 8, "3": 6}).total == 7
    assert peg.score({"1": 10, "2": 5, "3": 5}).total == pytest.approx(20 / 3)
    assert peg.score({"1": 10, "2": 5, "3": 5}).band is None


def test_peg_response_is_a_30_percent_drop_even_on_thirds():
    peg = load("peg")
    baseline = peg.score({"1": 10, "2": 5, "3": 5}).total  # 6.67
    current = peg.score({"1": 6, "2": 4, "3": 4}).total  # 4.67: exactly 30 % lower

    assert peg.is_response(baseline, current) is True
    assert peg.is_response(baseline, peg.score({"1": 6, "2": 5, "3": 4}).total) is False


# -- flags -----------------------------------------------------------------------------


@pytest.mark.parametrize(("item_9", "flagged"), [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item_9_above_zero_flags_suicidal_ideation(item_9, flagged):
    phq9 = load("phq-9")

    result = phq9.score(uniform(phq9, "min") | {"9": item_9})

    assert ("suicidal_ideation" in result.flags) is flagged


@pytest.mark.parametrize(("item_10", "flagged"), [(0, False), (1, False), (2, True), (6, True)])
def test_madrs_item_10_from_2_flags_suicidal_ideation(item_10, flagged):
    madrs = load("madrs")

    result = madrs.score(uniform(madrs, "min") | {"10": item_10})

    assert ("suicidal_ideation" in result.flags) is flagged


def test_madrs_item_10_threshold_is_clinic_policy():
    madrs = load("madrs")

    result = madrs.score(uniform(madrs, "min") | {"10": 1}, thresholds={"suicidal_ideation": 1})

    assert result.flags == {"suicidal_ideation"}


@pytest.mark.parametrize(("total", "flagged"), [(0, False), (5, False), (6, True), (20, True)])
def test_asrm_from_6_flags_mania(total, flagged):
    asrm = load("asrm")

    result = asrm.score(with_total(asrm, total))

    assert ("mania" in result.flags) is flagged


@pytest.mark.parametrize("instrument_id", ["gad-7", "peg", "who-5", "ymrs", "cadss"])
def test_instruments_without_flags_never_flag(instrument_id):
    instrument = load(instrument_id)

    assert instrument.score(uniform(instrument, "max")).flags == frozenset()


# -- response and remission ------------------------------------------------------------


@pytest.mark.parametrize("instrument_id", ["phq-9", "qids-sr16", "madrs", "gad-7"])
def test_response_is_a_50_percent_reduction(instrument_id):
    instrument = load(instrument_id)

    assert instrument.is_response(20, 10) is True
    assert instrument.is_response(20, 11) is False
    assert instrument.is_response(0, 0) is None
    assert instrument.is_response(20, None) is None


@pytest.mark.parametrize(
    ("instrument_id", "remitted", "not_remitted"),
    [("phq-9", 4, 5), ("qids-sr16", 5, 6), ("madrs", 10, 11)],
)
def test_remission_thresholds(instrument_id, remitted, not_remitted):
    instrument = load(instrument_id)

    assert instrument.is_remission(remitted) is True
    assert instrument.is_remission(not_remitted) is False


@pytest.mark.parametrize("instrument_id", ["gad-7", "pcl-5", "ymrs", "asrm", "cadss"])
def test_no_remission_rule_gives_none(instrument_id):
    assert load(instrument_id).is_remission(0) is None
