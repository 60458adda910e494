"""Writing and reading what the center records, on each backend."""

from __future__ import annotations

import random

import pytest

from okc.errors import StorageError
from okc.ids import InteractionId
from okc.storage import (
    AgentState,
    AttemptOutcome,
    CallResult,
    CampaignEntry,
    CampaignRecordStatus,
    Channel,
    Database,
    Direction,
    QueueEventKind,
    RecordingFormat,
    agent_states,
    campaign_records,
    contact_history,
    finish_call,
    finish_campaign_attempt,
    finish_interaction,
    finish_leg,
    load_campaign_records,
    record_agent_state,
    record_call,
    record_campaign_attempt,
    record_disposition,
    record_interaction,
    record_leg,
    record_qa_evaluation,
    record_queue_event,
    record_recording,
    recording_file_name,
)

T0 = 1_790_000_000.0
SERVICE = "Входящие вызовы"


def _iid(seed: int = 1, at: float = T0) -> InteractionId:
    return InteractionId.new(at, random.Random(seed))


def test_one_inbound_call_is_tied_together_by_its_id(db: Database) -> None:
    iid = _iid()
    record_interaction(
        db, iid, channel=Channel.VOICE, direction=Direction.INBOUND, started_at=T0, service=SERVICE
    )
    record_call(
        db, iid, caller="1002", callee="4040", started_at=T0, dial_in_plan="Внутренний", scenario=SERVICE
    )
    record_leg(
        db, iid, leg_index=0, direction=Direction.INBOUND, peer="sip:1002@okc", started_at=T0, call_id="abc@x"
    )
    record_leg(db, iid, leg_index=1, direction=Direction.OUTBOUND, peer="sip:1003@okc", started_at=T0 + 12)
    record_queue_event(db, iid, SERVICE, QueueEventKind.ENTERED, at=T0 + 10, position=1)
    record_queue_event(db, iid, SERVICE, QueueEventKind.OFFERED, at=T0 + 12, agent="agent2")
    record_queue_event(db, iid, SERVICE, QueueEventKind.ANSWERED, at=T0 + 15, agent="agent2", waited=5.0)
    record_agent_state(db, "agent2", AgentState.BUSY, at=T0 + 15, interaction=iid)
    finish_leg(db, iid.leg(1), ended_at=T0 + 75, final_status=200, answered_at=T0 + 15)
    finish_call(db, iid, result=CallResult.ANSWERED, ended_at=T0 + 75, answered_at=T0 + 15, agent="agent2")
    record_disposition(
        db, iid, service=SERVICE, agent="agent2", name="Консультация", kind="final", at=T0 + 80
    )
    record_recording(
        db,
        iid,
        path=f"recordings/{recording_file_name(iid)}",
        format=RecordingFormat.GSM_WAV,
        started_at=T0 + 15,
        duration=60.0,
        size_bytes=97_500,
    )
    record_qa_evaluation(
        db,
        iid,
        agent="agent2",
        evaluator="supervisor",
        scores={"Приветствие": 9, "Вежливость": 7},
        at=T0 + 3600,
    )
    finish_interaction(db, iid, ended_at=T0 + 80)

    history = contact_history(db, iid)
    assert history.interaction.ended_at == T0 + 80
    assert history.call is not None
    assert history.call.result is CallResult.ANSWERED
    assert history.call.agent == "agent2"
    assert [leg.call_id for leg in history.legs] == ["abc@x", iid.leg(1)]
    assert history.legs[1].final_status == 200
    assert InteractionId.from_leg(history.legs[1].call_id) == iid
    assert [e.kind for e in history.queue_events] == [
        QueueEventKind.ENTERED,
        QueueEventKind.OFFERED,
        QueueEventKind.ANSWERED,
    ]
    assert history.disposition is not None
    assert history.disposition.name == "Консультация"
    assert history.recordings[0].path.endswith(f"{iid}.wav")
    assert {(s.category, s.score) for s in history.scores} == {("Приветствие", 9), ("Вежливость", 7)}
    assert [s.state for s in history.agent_states] == [AgentState.BUSY]
    assert history.campaign_attempt is None


def test_records_of_an_unknown_interaction_are_refused(db: Database) -> None:
    ghost = _iid(99)
    with pytest.raises(StorageError, match="database write failed"):
        record_queue_event(db, ghost, SERVICE, QueueEventKind.ENTERED, at=T0)
    with pytest.raises(StorageError, match="unknown interaction"):
        contact_history(db, ghost)
    with pytest.raises(StorageError, match="unknown interaction"):
        finish_interaction(db, ghost, ended_at=T0)
    with pytest.raises(StorageError, match="no call detail record"):
        finish_call(db, ghost, result=CallResult.FAILED, ended_at=T0)
    with pytest.raises(StorageError, match="unknown SIP leg"):
        finish_leg(db, "nope", ended_at=T0)


def test_a_call_id_names_one_leg_only(db: Database) -> None:
    iid = _iid()
    record_interaction(db, iid, channel=Channel.VOICE, direction=Direction.INBOUND, started_at=T0)
    record_leg(db, iid, leg_index=0, direction=Direction.INBOUND, peer="a", started_at=T0)
    with pytest.raises(StorageError):
        record_leg(db, iid, leg_index=0, direction=Direction.INBOUND, peer="a", started_at=T0)


def test_qa_scores_must_be_1_to_9(db: Database) -> None:
    iid = _iid()
    record_interaction(db, iid, channel=Channel.CHAT, direction=Direction.INBOUND, started_at=T0)
    with pytest.raises(StorageError, match=r"1\.\.9"):
        record_qa_evaluation(db, iid, agent="a", evaluator="s", scores={"x": 10}, at=T0)
    assert contact_history(db, iid).evaluations == ()


def test_disposition_is_replaced_not_duplicated(db: Database) -> None:
    iid = _iid()
    record_interaction(db, iid, channel=Channel.VOICE, direction=Direction.INBOUND, started_at=T0)
    record_disposition(db, iid, service=SERVICE, agent="agent1", name="Перезвонить", kind="retry", at=T0)
    record_disposition(
        db, iid, service=SERVICE, agent="agent1", name="Решено", kind="final", at=T0 + 1, note="ok"
    )
    disposition = contact_history(db, iid).disposition
    assert disposition is not None
    assert (disposition.name, disposition.kind, disposition.note) == ("Решено", "final", "ok")


def test_agent_states_in_time_order_and_window(db: Database) -> None:
    for offset, state in [(30, AgentState.NOT_READY), (0, AgentState.READY), (60, AgentState.LOGGED_OUT)]:
        record_agent_state(db, "agent1", state, at=T0 + offset, reason="Обед" if offset == 30 else None)
    record_agent_state(db, "agent2", AgentState.READY, at=T0)
    states = agent_states(db, "agent1")
    assert [s.state for s in states] == [AgentState.READY, AgentState.NOT_READY, AgentState.LOGGED_OUT]
    assert states[1].reason == "Обед"
    assert [s.state for s in agent_states(db, "agent1", since=T0 + 10, until=T0 + 60)] == [
        AgentState.NOT_READY
    ]


def test_campaign_records_and_attempts(db: Database) -> None:
    entries = [
        CampaignEntry("+74951234567", name="Иван"),
        CampaignEntry("+74957654321", time_zone="Europe/Moscow"),
    ]
    assert load_campaign_records(db, "Опрос", "list1", entries) == 2
    assert load_campaign_records(db, "Опрос", "list1", [*entries, CampaignEntry("+7900")]) == 1
    records = campaign_records(db, "Опрос")
    assert [r.phone for r in records] == ["+74951234567", "+74957654321", "+7900"]
    first = records[0]
    assert first.id is not None

    iid = _iid(5)
    record_interaction(
        db, iid, channel=Channel.VOICE, direction=Direction.OUTBOUND, started_at=T0, service="Опрос"
    )
    record_campaign_attempt(db, first.id, iid, started_at=T0)
    finish_campaign_attempt(
        db,
        iid,
        outcome=AttemptOutcome.NO_ANSWER,
        ended_at=T0 + 45,
        record_status=CampaignRecordStatus.SCHEDULED,
        next_attempt_at=T0 + 3600,
    )
    scheduled = campaign_records(db, "Опрос", status=CampaignRecordStatus.SCHEDULED)
    assert [(r.phone, r.attempts, r.next_attempt_at) for r in scheduled] == [("+74951234567", 1, T0 + 3600)]
    attempt = contact_history(db, iid).campaign_attempt
    assert attempt is not None
    assert attempt.outcome is AttemptOutcome.NO_ANSWER
    with pytest.raises(StorageError, match="unknown campaign record"):
        record_campaign_attempt(db, 10_000, _iid(6), started_at=T0)
    with pytest.raises(StorageError, match="no campaign attempt"):
        finish_campaign_attempt(
            db, _iid(7), outcome=AttemptOutcome.BUSY, ended_at=T0, record_status=CampaignRecordStatus.PENDING
        )


def test_recording_file_names() -> None:
    iid = _iid()
    assert recording_file_name(iid) == f"{iid}.wav"
    assert recording_file_name(iid, 2) == f"{iid}-2.wav"
    with pytest.raises(StorageError):
        recording_file_name(iid, -1)
