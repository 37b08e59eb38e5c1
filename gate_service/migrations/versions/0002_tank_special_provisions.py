"""tanks: the col.13 special provisions on the tank's type approval

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:40:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    # Tanks on file before this revision list no provisions.
    op.add_column('tanks', sa.Column('special_provisions', sa.JSON(), nullable=False,
                                     server_default=sa.text("'[]'")))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('tanks', schema=None) as batch_op:
        batch_op.drop_column('special_provisions')
