-- 0022: an agreement's innovation step is a step of the innovation staircase too (DESIGN §2), the one its
-- call-offs aim at, or not stated (NULL). The free text the column held stays, as innovation_note.
ALTER TABLE avrop.framework_agreement RENAME COLUMN innovation_step TO innovation_note;
ALTER TABLE avrop.framework_agreement RENAME CONSTRAINT framework_agreement_innovation_step_check TO framework_agreement_innovation_note_check;
ALTER TABLE avrop.framework_agreement ADD COLUMN innovation_step text
    CONSTRAINT framework_agreement_innovation_step_check CHECK (innovation_step IN ('deploy', 'introduce', 'initiate'));
