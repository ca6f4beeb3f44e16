SELECT * FROM [SRV].[DB]..FA, [SRV].[DB].dbo.AD
