"""The crisis phrase list: what must be flagged, and everyday phrases that must not."""

import pytest

from ketaclinic.inquiries.domain.crisis import check_message, normalise, patterns

FLAGGED = [
    "I have been suicidal for months",
    "Suicide has crossed my mind",
    "I keep thinking about killing myself",
    "I want to kill myself",
    "I might end my life",
    "thinking of taking my own life",
    "some days I just want to end it all",
    "I want to die",
    "honestly I wanna die",
    "I wish I was dead",
    "I would rather be dead",
    "everyone would be better off dead without me, I'd be better off dead",
    "There is no reason to live anymore",
    "I don’t want to be alive",
    "I dont want to wake up",
    "I can't go on like this",
    "I overdosed last year",
    "worried I might overdose",
    "took all my pills last night",
    "I have been cutting myself",
    "history of self-harm",
    "self harm since college",
    "I won't be here anymore soon, I'd rather not be here any more",
    "I have a plan to end it",
    "I have plans to die",
    "I   WANT   TO   DIE",
]

NOT_FLAGGED = [
    "I'm killing it at work but my mood is low",
    "My pain is killing me",
    "That movie was to die for",
    "I'd die for a good night's sleep",
    "I want to live a fuller life",
    "My father died last year and I am grieving",
    "I would like to know about dying my hair after treatment",  # not a crisis phrase
    "My job is a dead end",
    "Could you send me information about fees?",
    "I tried cutting back on coffee",
    "She ended it with me and I have been low since",
    "",
]


@pytest.mark.parametrize("text", FLAGGED)
def test_crisis_phrase_is_flagged(text):
    assert check_message(text).urgent is True


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_everyday_phrase_is_not_flagged(text):
    assert check_message(text) == check_message("")
    assert check_message(text).urgent is False


def test_check_message_reports_which_phrases_matched():
    result = check_message("I want to die. I overdosed once.")

    assert result.matches == ("want to die", "overdosed")


def test_normalise_straightens_quotes_and_collapses_space():
    assert normalise("Don’t\n\tWANT  to") == "don't want to"


def test_every_line_of_the_phrase_file_compiles():
    assert len(patterns()) >= 15
