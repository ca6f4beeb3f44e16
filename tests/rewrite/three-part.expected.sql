SELECT * FROM [SERVER1].POHODA_2023.dbo.FA f
JOIN [SERVER1].[StwPh_1_2024]..AD a ON a.ID = f.RefAD
JOIN [SRV2].[X].dbo.sStr s ON s.ID = f.RefStr
JOIN tempdb..#t t ON t.ID = f.ID
JOIN [SERVER1].[POHODA_DB].dbo . FApol p ON p.RefAg = f.ID
