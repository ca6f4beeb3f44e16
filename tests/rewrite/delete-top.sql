DELETE TOP ((SELECT COUNT(*) FROM FA x JOIN AD a ON a.ID = x.RefAD) + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1) PERCENT
  FROM FA WHERE ID IN (SELECT RefAg FROM FApol);
DELETE h FROM FA h JOIN AD a ON a.ID = h.RefAD
