"""The knowledge base's term index carries, in each row, the term's share of the article's title
and the article's status and language, so a search reads only the index (PostgreSQL: covering
indexes), never an article's row. The rows are written again from the articles."""

from django.db import migrations, models

from desk.kb.terms import weights


def rewrite_terms(apps, schema_editor):
    KbArticle = apps.get_model("desk", "KbArticle")
    KbTerm = apps.get_model("desk", "KbTerm")
    KbTerm.objects.all().delete()
    fields = ("pk", "search_title", "search_body", "status", "language")
    for article in KbArticle.objects.only(*fields).iterator(chunk_size=500):
        KbTerm.objects.bulk_create(
            KbTerm(
                article_id=article.pk,
                term=term,
                weight=weight,
                title_share=share,
                status=article.status,
                language=article.language,
            )
            for term, (weight, share) in weights(article.search_title, article.search_body).items()
        )


class Migration(migrations.Migration):

    dependencies = [
        ("desk", "0011_kb_terms"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="kbterm", name="kb_term_once_per_article"),
        migrations.RemoveIndex(model_name="kbterm", name="kb_term_best"),
        migrations.RemoveField(model_name="kbterm", name="in_title"),
        migrations.AddField(
            model_name="kbterm",
            name="title_share",
            field=models.FloatField(default=0.0, verbose_name="share of the title"),
        ),
        migrations.AddField(
            model_name="kbterm",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Draft"),
                    ("published", "Published"),
                    ("internal", "Internal only"),
                    ("archived", "Archived"),
                ],
                default="draft",
                max_length=10,
                verbose_name="status",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="kbterm",
            name="language",
            field=models.CharField(
                choices=[("zh-hans", "Simplified Chinese"), ("en", "English")],
                default="zh-hans",
                max_length=10,
                verbose_name="language",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(rewrite_terms, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="kbterm",
            constraint=models.UniqueConstraint(
                fields=("article", "term"),
                include=("weight", "title_share"),
                name="kb_term_once_per_article_covering",
            ),
        ),
        migrations.AddIndex(
            model_name="kbterm",
            index=models.Index(
                fields=["term", "-weight", "article"],
                include=("title_share", "status", "language"),
                name="kb_term_best_covering",
            ),
        ),
    ]
