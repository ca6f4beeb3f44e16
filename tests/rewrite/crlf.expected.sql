SELECT h.Cislo
FROM [SERVER1].[POHODA_DB].dbo.FA h
	LEFT JOIN [SERVER1].[POHODA_DB].dbo.AD a
		ON a.ID = h.RefAD -- poznámka
