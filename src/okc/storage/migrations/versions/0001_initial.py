"""Initial schema: interactions and everything the center records about them.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "campaign_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(length=100), nullable=False),
        sa.Column("list_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=16), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "scheduled",
                "in_progress",
                "completed",
                "do_not_call",
                "exhausted",
                name="campaignrecordstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_record")),
        sa.UniqueConstraint(
            "campaign", "list_name", "phone", name=op.f("uq_campaign_record_campaign_list_name_phone")
        ),
    )
    op.create_index(op.f("ix_campaign_record_campaign"), "campaign_record", ["campaign"], unique=False)
    op.create_table(
        "interaction",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("voice", "chat", "email", name="channel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "direction",
            sa.Enum("inbound", "outbound", "internal", name="direction", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("service", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interaction")),
    )
    op.create_index(op.f("ix_interaction_service"), "interaction", ["service"], unique=False)
    op.create_index(op.f("ix_interaction_started_at"), "interaction", ["started_at"], unique=False)
    op.create_table(
        "agent_state_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "logged_out",
                "not_ready",
                "ready",
                "reserved",
                "busy",
                "after_call_work",
                name="agentstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("interaction_id", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_agent_state_change_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_change")),
    )
    op.create_index(op.f("ix_agent_state_change_agent"), "agent_state_change", ["agent"], unique=False)
    op.create_index(op.f("ix_agent_state_change_at"), "agent_state_change", ["at"], unique=False)
    op.create_table(
        "call_detail_record",
        sa.Column("interaction_id", sa.String(length=26), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("callee", sa.String(length=64), nullable=False),
        sa.Column("dial_in_plan", sa.String(length=100), nullable=True),
        sa.Column("scenario", sa.String(length=100), nullable=True),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column(
            "result",
            sa.Enum(
                "answered",
                "abandoned",
                "voicemail",
                "busy",
                "no_answer",
                "failed",
                "self_service",
                name="callresult",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_call_detail_record_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interaction_id", name=op.f("pk_call_detail_record")),
    )
    op.create_index(op.f("ix_call_detail_record_agent"), "call_detail_record", ["agent"], unique=False)
    op.create_table(
        "campaign_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.String(length=26), nullable=False),
        sa.Column("campaign", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "connected",
                "no_answer",
                "busy",
                "failed",
                "abandoned",
                "answering_machine",
                name="attemptoutcome",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_campaign_attempt_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["campaign_record.id"],
            name=op.f("fk_campaign_attempt_record_id_campaign_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_attempt")),
        sa.UniqueConstraint("interaction_id", name=op.f("uq_campaign_attempt_interaction_id")),
    )
    op.create_index(op.f("ix_campaign_attempt_campaign"), "campaign_attempt", ["campaign"], unique=False)
    op.create_index(op.f("ix_campaign_attempt_record_id"), "campaign_attempt", ["record_id"], unique=False)
    op.create_table(
        "disposition",
        sa.Column("interaction_id", sa.String(length=26), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_disposition_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interaction_id", name=op.f("pk_disposition")),
    )
    op.create_index(op.f("ix_disposition_agent"), "disposition", ["agent"], unique=False)
    op.create_table(
        "qa_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.String(length=26), nullable=False),
        sa.Column("agent", sa.String(length=100), nullable=False),
        sa.Column("evaluator", sa.String(length=100), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_qa_evaluation_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_evaluation")),
    )
    op.create_index(op.f("ix_qa_evaluation_agent"), "qa_evaluation", ["agent"], unique=False)
    op.create_index(
        op.f("ix_qa_evaluation_interaction_id"), "qa_evaluation", ["interaction_id"], unique=False
    )
    op.create_table(
        "queue_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.String(length=26), nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "entered",
                "offered",
                "rejected",
                "answered",
                "abandoned",
                "overflowed",
                "timed_out",
                "transferred",
                name="queueeventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("agent", sa.String(length=100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("waited", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_queue_event_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_event")),
    )
    op.create_index(op.f("ix_queue_event_at"), "queue_event", ["at"], unique=False)
    op.create_index(op.f("ix_queue_event_interaction_id"), "queue_event", ["interaction_id"], unique=False)
    op.create_index(op.f("ix_queue_event_service"), "queue_event", ["service"], unique=False)
    op.create_table(
        "recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.String(length=26), nullable=False),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column(
            "format",
            sa.Enum("gsm_wav", "pcm_wav", name="recordingformat", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_recording_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording")),
        sa.UniqueConstraint("interaction_id", "segment", name=op.f("uq_recording_interaction_id_segment")),
    )
    op.create_index(op.f("ix_recording_interaction_id"), "recording", ["interaction_id"], unique=False)
    op.create_table(
        "sip_leg",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interaction_id", sa.String(length=26), nullable=False),
        sa.Column("leg_index", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=255), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("inbound", "outbound", "internal", name="direction", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("peer", sa.String(length=255), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("final_status", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interaction.id"],
            name=op.f("fk_sip_leg_interaction_id_interaction"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sip_leg")),
        sa.UniqueConstraint("call_id", name=op.f("uq_sip_leg_call_id")),
        sa.UniqueConstraint("interaction_id", "leg_index", name=op.f("uq_sip_leg_interaction_id_leg_index")),
    )
    op.create_index(op.f("ix_sip_leg_interaction_id"), "sip_leg", ["interaction_id"], unique=False)
    op.create_table(
        "qa_score",
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 9", name=op.f("ck_qa_score_score_range")),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["qa_evaluation.id"],
            name=op.f("fk_qa_score_evaluation_id_qa_evaluation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", "category", name=op.f("pk_qa_score")),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("qa_score")
    op.drop_index(op.f("ix_sip_leg_interaction_id"), table_name="sip_leg")
    op.drop_table("sip_leg")
    op.drop_index(op.f("ix_recording_interaction_id"), table_name="recording")
    op.drop_table("recording")
    op.drop_index(op.f("ix_queue_event_service"), table_name="queue_event")
    op.drop_index(op.f("ix_queue_event_interaction_id"), table_name="queue_event")
    op.drop_index(op.f("ix_queue_event_at"), table_name="queue_event")
    op.drop_table("queue_event")
    op.drop_index(op.f("ix_qa_evaluation_interaction_id"), table_name="qa_evaluation")
    op.drop_index(op.f("ix_qa_evaluation_agent"), table_name="qa_evaluation")
    op.drop_table("qa_evaluation")
    op.drop_index(op.f("ix_disposition_agent"), table_name="disposition")
    op.drop_table("disposition")
    op.drop_index(op.f("ix_campaign_attempt_record_id"), table_name="campaign_attempt")
    op.drop_index(op.f("ix_campaign_attempt_campaign"), table_name="campaign_attempt")
    op.drop_table("campaign_attempt")
    op.drop_index(op.f("ix_call_detail_record_agent"), table_name="call_detail_record")
    op.drop_table("call_detail_record")
    op.drop_index(op.f("ix_agent_state_change_at"), table_name="agent_state_change")
    op.drop_index(op.f("ix_agent_state_change_agent"), table_name="agent_state_change")
    op.drop_table("agent_state_change")
    op.drop_index(op.f("ix_interaction_started_at"), table_name="interaction")
    op.drop_index(op.f("ix_interaction_service"), table_name="interaction")
    op.drop_table("interaction")
    op.drop_index(op.f("ix_campaign_record_campaign"), table_name="campaign_record")
    op.drop_table("campaign_record")
