SELECT h.Cislo
FROM FA h
	LEFT JOIN AD a
		ON a.ID = h.RefAD -- poznámka
